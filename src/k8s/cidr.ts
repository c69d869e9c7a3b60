/**
 * IP addresses and CIDR blocks as integer ranges, IPv4 and IPv6: the one
 * place that parses, formats and compares them. Addresses are read as Go's
 * net/netip reads them (no leading zeros, no zones). parseCidr() is the
 * lenient read for ipBlock matching: a non-canonical CIDR such as
 * 192.168.242.213/24 is read as its network (192.168.242.0/24), as the
 * NetworkPolicy API does. parseCidrStrict() is the API server's CEL isCIDR():
 * it also refuses IPv4-mapped IPv6 addresses; hasHostBits() tells a
 * non-canonical block from its network.
 */

export type IpFamily = 4 | 6;

export interface IpAddress {
  family: IpFamily;
  value: bigint;
}

export interface CidrRange {
  family: IpFamily;
  first: bigint;
  last: bigint;
  prefix: number;
  /** The address as written (host bits may be set; `first` is the network). */
  address: bigint;
  /** The block in canonical form, e.g. "192.168.242.0/24". */
  canonical: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const BITS: Record<IpFamily, number> = { 4: 32, 6: 128 };

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

function parseHextets(text: string): number[] | undefined {
  if (text === "") return [];
  const out: number[] = [];
  for (const group of text.split(":")) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    out.push(parseInt(group, 16));
  }
  return out;
}

function parseIpv6(text: string): bigint | undefined {
  let body = text;
  let tail: number[] = [];
  const lastColon = body.lastIndexOf(":");
  const maybeV4 = body.slice(lastColon + 1);
  if (maybeV4.includes(".")) {
    const v4 = parseIpv4(maybeV4);
    if (v4 === undefined) return undefined;
    tail = [Number(v4 >> 16n), Number(v4 & 0xffffn)];
    body = body.slice(0, lastColon + 1);
    if (body.endsWith(":") && !body.endsWith("::")) body = body.slice(0, -1);
  }
  const halves = body.split("::");
  if (halves.length > 2) return undefined;
  const head = parseHextets(halves[0] ?? "");
  const rest = halves.length === 2 ? parseHextets(halves[1] ?? "") : [];
  if (head === undefined || rest === undefined) return undefined;
  const given = head.length + rest.length + tail.length;
  let groups: number[];
  if (halves.length === 2) {
    if (given > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - given).fill(0), ...rest, ...tail];
  } else {
    if (given !== 8) return undefined;
    groups = [...head, ...tail];
  }
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/** Parses "10.3.104.4" or "fd00::1"; undefined when the text is not an IP address. */
export function parseIp(text: string): IpAddress | undefined {
  if (text.includes(":")) {
    const value = parseIpv6(text);
    return value === undefined ? undefined : { family: 6, value };
  }
  const value = parseIpv4(text);
  return value === undefined ? undefined : { family: 4, value };
}

export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => String((ip.value >> shift) & 0xffn)).join(".");
  }
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((ip.value >> shift) & 0xffffn));
  // Compress the longest run of zero groups (RFC 5952).
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

/** Parses "10.3.0.0/16" (or a non-canonical "10.3.1.2/16", read as 10.3.0.0/16). */
export function parseCidr(text: string): Parsed<CidrRange> {
  const slash = text.indexOf("/");
  if (slash < 0) return { ok: false, error: `${text} is not a CIDR (expected address/prefix, e.g. 10.0.0.0/16)` };
  const ip = parseIp(text.slice(0, slash));
  if (!ip) return { ok: false, error: `${text} is not a CIDR: '${text.slice(0, slash)}' is not an IP address` };
  const prefixText = text.slice(slash + 1);
  const bits = BITS[ip.family];
  const prefix = /^(0|[1-9]\d{0,2})$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= bits)) return { ok: false, error: `${text} is not a CIDR: prefix must be 0 to ${bits}` };
  const hostBits = BigInt(bits - prefix);
  const first = (ip.value >> hostBits) << hostBits;
  const last = first + (1n << hostBits) - 1n;
  const canonical = `${formatIp({ family: ip.family, value: first })}/${prefix}`;
  return { ok: true, value: { family: ip.family, first, last, prefix, address: ip.value, canonical } };
}

/**
 * Parses a CIDR as the API server's CEL isCIDR() does (Go netip.ParsePrefix,
 * then no IPv4-mapped IPv6 address): parseCidr() minus ::ffff:a.b.c.d forms.
 */
export function parseCidrStrict(text: string): Parsed<CidrRange> {
  const parsed = parseCidr(text);
  if (parsed.ok && parsed.value.family === 6 && parsed.value.address >> 32n === 0xffffn) {
    return { ok: false, error: `${text} is not a CIDR: '${text.slice(0, text.indexOf("/"))}' is an IPv4-mapped IPv6 address` };
  }
  return parsed;
}

/** True when the address as written is not the network (e.g. 10.3.0.1/16). */
export function hasHostBits(range: CidrRange): boolean {
  return range.address !== range.first;
}

export function cidrContains(range: CidrRange, ip: IpAddress): boolean {
  return range.family === ip.family && ip.value >= range.first && ip.value <= range.last;
}

/** True when `inner` lies entirely within `outer` (same family). */
export function cidrWithin(inner: CidrRange, outer: CidrRange): boolean {
  return inner.family === outer.family && inner.first >= outer.first && inner.last <= outer.last;
}

/** An ipBlock: the CIDR minus its exceptions. */
export interface IpBlockRange {
  cidr: CidrRange;
  except: CidrRange[];
}

export function ipBlockContains(block: IpBlockRange, ip: IpAddress): boolean {
  return cidrContains(block.cidr, ip) && !block.except.some((e) => cidrContains(e, ip));
}

/**
 * Parses an ipBlock as the API server validates it: a valid CIDR, and every
 * exception a valid CIDR inside it. Errors name the field relative to the block.
 */
export function parseIpBlock(block: { cidr: string; except?: readonly string[] }): Parsed<IpBlockRange> {
  const cidr = parseCidr(block.cidr);
  if (!cidr.ok) return { ok: false, error: `cidr: ${cidr.error}` };
  const except: CidrRange[] = [];
  for (const [i, text] of (block.except ?? []).entries()) {
    const e = parseCidr(text);
    if (!e.ok) return { ok: false, error: `except[${i}]: ${e.error}` };
    if (!cidrWithin(e.value, cidr.value) || e.value.prefix <= cidr.value.prefix) {
      return { ok: false, error: `except[${i}]: ${text} is not strictly inside ${block.cidr}` };
    }
    except.push(e.value);
  }
  return { ok: true, value: { cidr: cidr.value, except } };
}
