import { describe, expect, it } from "@jest/globals";
import { containsCidr, formatCidr, hasHostBits, masked, parseCidr } from "../../../src/api/cidr.js";

describe("parseCidr accepts what CEL isCIDR() accepts", () => {
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
  ])("%s: %s", (_name, text, ok) => {
    expect(parseCidr(text) !== undefined).toBe(ok);
  });
});

const cidr = (text: string): NonNullable<ReturnType<typeof parseCidr>> => {
  const parsed = parseCidr(text);
  if (!parsed) throw new Error(text);
  return parsed;
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
    expect(containsCidr(cidr(outer), cidr(inner))).toBe(expected);
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
    expect(hasHostBits(cidr(text))).toBe(expected);
    expect(formatCidr(masked(cidr(text)))).toBe(network);
  });
});
