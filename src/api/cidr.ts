/**
 * Just enough CIDR arithmetic to validate ipBlocks offline the way the API
 * server's CEL library does (Go net/netip: no leading zeros, no zones, no
 * IPv4-mapped IPv6).
 */

export interface Cidr {
  family: 4 | 6;
  /** The address as written (host bits may be set). */
  address: bigint;
  prefixLength: number;
}

const WIDTH = { 4: 32, 6: 128 } as const;

function parseIPv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

function parseGroups(text: string): bigint[] | undefined {
  if (text === "") return [];
  const groups: bigint[] = [];
  const parts = text.split(":");
  for (const [i, part] of parts.entries()) {
    if (i === parts.length - 1 && part.includes(".")) {
      const v4 = parseIPv4(part);
      if (v4 === undefined) return undefined;
      groups.push(v4 >> 16n, v4 & 0xffffn);
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return undefined;
      groups.push(BigInt(`0x${part}`));
    }
  }
  return groups;
}

function parseIPv6(text: string): bigint | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0] ?? "");
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? "") : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...Array<bigint>(missing).fill(0n), ...tail];
  const value = groups.reduce((acc, g) => (acc << 16n) | g, 0n);
  const isV4Mapped = value >> 32n === 0xffffn;
  return isV4Mapped ? undefined : value;
}

/** Parses `a.b.c.d/n` or an IPv6 prefix; undefined when CEL's isCIDR() would say false. */
export function parseCidr(text: string): Cidr | undefined {
  const match = /^([^/]+)\/(0|[1-9][0-9]{0,2})$/.exec(text);
  if (!match) return undefined;
  const [, ip = "", bits = ""] = match;
  const prefixLength = Number(bits);
  const family = ip.includes(":") ? 6 : 4;
  if (prefixLength > WIDTH[family]) return undefined;
  const address = family === 4 ? parseIPv4(ip) : parseIPv6(ip);
  return address === undefined ? undefined : { family, address, prefixLength };
}

function hostBits(cidr: Cidr): bigint {
  return (1n << BigInt(WIDTH[cidr.family] - cidr.prefixLength)) - 1n;
}

/** The network address: host bits cleared. */
export function masked(cidr: Cidr): Cidr {
  return { ...cidr, address: cidr.address & ~hostBits(cidr) };
}

export function hasHostBits(cidr: Cidr): boolean {
  return (cidr.address & hostBits(cidr)) !== 0n;
}

/** True when every address of `inner` is in `outer` (CEL `cidr(outer).containsCIDR(inner)`). */
export function containsCidr(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || inner.prefixLength < outer.prefixLength) return false;
  return masked(outer).address === (inner.address & ~hostBits(outer));
}

function formatIPv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length && j - i >= 2) best = { start: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.start < 0) return hex.join(":");
  return `${hex.slice(0, best.start).join(":")}::${hex.slice(best.start + best.length).join(":")}`;
}

export function formatCidr(cidr: Cidr): string {
  const ip =
    cidr.family === 4
      ? [24n, 16n, 8n, 0n].map((shift) => String((cidr.address >> shift) & 0xffn)).join(".")
      : formatIPv6(cidr.address);
  return `${ip}/${String(cidr.prefixLength)}`;
}
