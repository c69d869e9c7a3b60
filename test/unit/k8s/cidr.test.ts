import { describe, expect, it } from "@jest/globals";
import { cidrWithin, formatIp, hasHostBits, ipBlockContains, parseCidr, parseCidrStrict, parseIp, parseIpBlock } from "../../../src/k8s/cidr.js";

function block(cidr: string, except: string[] = []) {
  const parsed = parseIpBlock({ cidr, except });
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

function ip(text: string) {
  const parsed = parseIp(text);
  if (!parsed) throw new Error(`bad ip ${text}`);
  return parsed;
}

describe("parseIp", () => {
  it.each<[string, string, string | undefined]>([
    ["a dotted quad", "10.3.104.4", "10.3.104.4"],
    ["the lowest IPv4", "0.0.0.0", "0.0.0.0"],
    ["the highest IPv4", "255.255.255.255", "255.255.255.255"],
    ["an octet over 255 is not an address", "10.0.0.256", undefined],
    ["three octets are not an address", "10.0.0", undefined],
    ["a leading zero is not accepted (ambiguous octal)", "10.0.0.01", undefined],
    ["IPv6 with :: in the middle", "2001:db8::1", "2001:db8::1"],
    ["IPv6 all zeros", "::", "::"],
    ["IPv6 loopback", "::1", "::1"],
    ["IPv6 in full form is printed compressed", "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["IPv6 with an embedded IPv4 tail", "::ffff:10.0.0.1", "::ffff:a00:1"],
    ["IPv6 with two :: is not an address", "1::2::3", undefined],
    ["IPv6 with nine groups is not an address", "1:2:3:4:5:6:7:8:9", undefined],
  ])("%s", (_name, text, formatted) => {
    const parsed = parseIp(text);
    expect(parsed === undefined ? undefined : formatIp(parsed)).toBe(formatted);
  });
});

describe("parseCidr", () => {
  it.each<[string, string, string]>([
    ["a canonical block stays", "10.3.0.0/16", "10.3.0.0/16"],
    ["a non-canonical block is read as its network", "192.168.242.213/24", "192.168.242.0/24"],
    ["/32 is one address", "10.3.166.139/32", "10.3.166.139/32"],
    ["/0 is everything", "1.2.3.4/0", "0.0.0.0/0"],
    ["IPv6 non-canonical", "2001:db8::1/64", "2001:db8::/64"],
    ["IPv6 /128", "fd00::5/128", "fd00::5/128"],
  ])("%s", (_name, text, canonical) => {
    const parsed = parseCidr(text);
    expect(parsed.ok && parsed.value.canonical).toBe(canonical);
  });

  it.each<[string, string, string]>([
    ["no prefix", "10.0.0.0", "10.0.0.0 is not a CIDR (expected address/prefix, e.g. 10.0.0.0/16)"],
    ["an IPv4 prefix over 32", "10.0.0.0/33", "10.0.0.0/33 is not a CIDR: prefix must be 0 to 32"],
    ["an IPv6 prefix over 128", "fd00::/129", "fd00::/129 is not a CIDR: prefix must be 0 to 128"],
    ["a bad address", "10.0.0.300/8", "10.0.0.300/8 is not a CIDR: '10.0.0.300' is not an IP address"],
    ["a non-numeric prefix", "10.0.0.0/x", "10.0.0.0/x is not a CIDR: prefix must be 0 to 32"],
  ])("rejects %s", (_name, text, error) => {
    expect(parseCidr(text)).toEqual({ ok: false, error });
  });
});

describe("ipBlockContains at the boundaries", () => {
  it.each<[string, string, string[], string, boolean]>([
    ["the network address is inside", "10.3.0.0/16", [], "10.3.0.0", true],
    ["the broadcast address is inside", "10.3.0.0/16", [], "10.3.255.255", true],
    ["one below the network is outside", "10.3.0.0/16", [], "10.2.255.255", false],
    ["one past the end is outside", "10.3.0.0/16", [], "10.4.0.0", false],
    ["an excepted /32 is outside", "10.3.0.0/16", ["10.3.166.139/32"], "10.3.166.139", false],
    ["the neighbour of an excepted /32 is inside", "10.3.0.0/16", ["10.3.166.139/32"], "10.3.166.140", true],
    ["the first address of an excepted /25 is outside", "192.0.2.0/24", ["192.0.2.128/25"], "192.0.2.128", false],
    ["the last address before an excepted /25 is inside", "192.0.2.0/24", ["192.0.2.128/25"], "192.0.2.127", true],
    ["the last address of an excepted /25 is outside", "192.0.2.0/24", ["192.0.2.128/25"], "192.0.2.255", false],
    ["a non-canonical block covers its whole network", "192.168.242.213/24", [], "192.168.242.1", true],
    ["0.0.0.0/0 covers every IPv4", "0.0.0.0/0", [], "255.255.255.255", true],
    ["an IPv4 block never covers IPv6", "0.0.0.0/0", [], "::1", false],
    ["an IPv6 block covers its last address", "2001:db8::/126", [], "2001:db8::3", true],
    ["an IPv6 block ends where it ends", "2001:db8::/126", [], "2001:db8::4", false],
    ["::/0 covers every IPv6", "::/0", [], "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true],
    ["an IPv6 except works", "fd00::/64", ["fd00::/120"], "fd00::ff", false],
  ])("%s", (_name, cidr, except, address, inside) => {
    expect(ipBlockContains(block(cidr, except), ip(address))).toBe(inside);
  });
});

describe("parseIpBlock", () => {
  it.each<[string, string, string[], string]>([
    ["an except outside the block", "10.3.0.0/16", ["10.9.0.0/24"], "except[0]: 10.9.0.0/24 is not strictly inside 10.3.0.0/16"],
    ["an except equal to the block", "10.3.0.0/16", ["10.3.0.0/16"], "except[0]: 10.3.0.0/16 is not strictly inside 10.3.0.0/16"],
    ["an except of the other family", "10.3.0.0/16", ["fd00::/64"], "except[0]: fd00::/64 is not strictly inside 10.3.0.0/16"],
    ["a bad except", "10.3.0.0/16", ["nope"], "except[0]: nope is not a CIDR (expected address/prefix, e.g. 10.0.0.0/16)"],
    ["a bad cidr", "10.3.0.0", [], "cidr: 10.3.0.0 is not a CIDR (expected address/prefix, e.g. 10.0.0.0/16)"],
  ])("rejects %s", (_name, cidr, except, error) => {
    expect(parseIpBlock({ cidr, except })).toEqual({ ok: false, error });
  });
});

describe("parseCidrStrict accepts what CEL isCIDR() accepts", () => {
  it.each<[string, string, boolean]>([
    ["an IPv4 network", "10.3.0.0/16", true],
    ["a /32 host", "10.3.166.139/32", true],
    ["everything", "0.0.0.0/0", true],
    ["an IPv6 network", "fd00::/64", true],
    ["a full IPv6 address", "2001:db8:0:0:0:0:0:1/128", true],
    ["IPv6 with an embedded IPv4 tail", "64:ff9b::10.0.0.0/120", true],
    ["no prefix length", "10.3.0.0", false],
    ["a prefix over 32", "10.0.0.0/33", false],
    ["a prefix over 128", "fd00::/129", false],
    ["a leading zero in an octet", "10.03.0.0/16", false],
    ["an octet over 255", "10.256.0.0/16", false],
    ["three octets", "10.3.0/16", false],
    ["two :: in one address", "fd00::1::/64", false],
    ["an IPv4-mapped IPv6 address", "::ffff:10.0.0.0/104", false],
    ["a zone", "fe80::1%eth0/64", false],
    ["a leading zero in the prefix length", "10.0.0.0/08", false],
    ["an embedded IPv4 anywhere but the end", "1:1.2.3.4::/64", false],
  ])("%s: %s", (_name, text, ok) => {
    expect(parseCidrStrict(text).ok).toBe(ok);
  });
});

const strict = (text: string) => {
  const parsed = parseCidrStrict(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
};

describe("containsCidr", () => {
  it.each<[string, string, boolean]>([
    ["10.3.0.0/16", "10.3.166.139/32", true],
    ["10.3.0.0/16", "10.3.0.0/16", true],
    ["10.3.0.0/16", "10.0.0.0/8", false],
    ["10.3.0.0/16", "10.9.0.0/24", false],
    ["10.3.0.0/16", "fd00::/64", false],
    ["fd00::/48", "fd00:0:0:1::/64", true],
    ["fd00::/48", "fd01::/64", false],
  ])("%s contains %s: %s", (outer, inner, expected) => {
    expect(cidrWithin(strict(inner), strict(outer))).toBe(expected);
  });
});

describe("host bits", () => {
  it.each<[string, boolean, string]>([
    ["10.3.0.0/16", false, "10.3.0.0/16"],
    ["10.3.0.1/16", true, "10.3.0.0/16"],
    ["fd00::1/64", true, "fd00::/64"],
    ["2001:db8:1:2:3:4:5:6/32", true, "2001:db8::/32"],
    ["1:0:0:2::/64", false, "1:0:0:2::/64"],
  ])("%s has host bits: %s (network %s)", (text, expected, network) => {
    expect(hasHostBits(strict(text))).toBe(expected);
    expect(strict(text).canonical).toBe(network);
  });
});
