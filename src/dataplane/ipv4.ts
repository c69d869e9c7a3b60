/** IPv4 addresses as numbers, for handing out pod addresses inside the pod range. */
export function ipToNumber(ip: string): number {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`${ip}: not an IPv4 address`);
  return parts.reduce((n, p) => n * 256 + p, 0);
}

export function numberToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => String(Math.floor(n / 2 ** shift) % 256)).join(".");
}

export interface Range {
  first: number;
  size: number;
}

export function parseRange(cidr: string): Range {
  const [ip = "", bits = ""] = cidr.split("/");
  const prefix = Number(bits);
  if (!Number.isInteger(prefix) || prefix < 8 || prefix > 30) throw new Error(`${cidr}: expected an IPv4 range between /8 and /30`);
  const size = 2 ** (32 - prefix);
  return { first: Math.floor(ipToNumber(ip) / size) * size, size };
}

export function inRange(range: Range, ip: string): boolean {
  const n = ipToNumber(ip);
  return n >= range.first && n < range.first + range.size;
}
