/**
 * What the data plane needs from the machine and changes on it, outside pods:
 * root with CAP_NET_ADMIN and the tools; the pod range routed to a blackhole;
 * IPv4 forwarding; and felix's own state (its nftables tables, iptables chains,
 * ipsets, /var/lib/calico), removed when the run that started felix ends
 * (calico-state.ts says when it is the run's).
 */
import { existsSync, readFileSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import type { CalicoState } from "./calico-state.js";
import { run, tryRun } from "./exec.js";
import { ROUTE_PROTO } from "./names.js";

export const REQUIRED_TOOLS = ["ip", "nft", "iptables", "ipset", "ping", "conntrack", "setpriv"] as const;
/** Debian packages that provide them. */
export const REQUIRED_PACKAGES = "iptables ipset nftables iproute2 iputils-ping conntrack util-linux";

const CAP_NET_ADMIN = 12n;
const FORWARDING = "/proc/sys/net/ipv4/ip_forward";
/** Felix writes its MTU file here. */
export const FELIX_STATE_DIR = "/var/lib/calico";

function onPath(tool: string): boolean {
  return (process.env.PATH ?? "").split(":").some((dir) => dir !== "" && existsSync(`${dir}/${tool}`));
}

/** Why this machine cannot run the data plane, or undefined when it can. */
export function unsupportedReason(): string | undefined {
  if (process.platform !== "linux") return "the data plane needs Linux network namespaces";
  const status = readFileSync("/proc/self/status", "utf8");
  const capEff = /^CapEff:\s*([0-9a-f]+)/m.exec(status)?.[1];
  if (process.getuid?.() !== 0 || capEff === undefined || (BigInt(`0x${capEff}`) & (1n << CAP_NET_ADMIN)) === 0n) {
    return "the data plane needs root with CAP_NET_ADMIN (network namespaces, routes, netfilter)";
  }
  const missing = REQUIRED_TOOLS.filter((t) => !onPath(t));
  if (missing.length > 0) return `missing ${missing.join(", ")} (Debian packages: ${REQUIRED_PACKAGES})`;
  return undefined;
}

/** Routes the whole pod range nowhere: only the /32 routes to the veths deliver, nothing leaves the machine. */
export async function addBlackhole(cidr: string): Promise<void> {
  const existing = (await run("ip", ["-4", "route", "show", "exact", cidr])).trim();
  if (existing) throw new Error(`the pod range ${cidr} is already routed on this machine (${existing}); choose another range`);
  await run("ip", ["route", "add", "blackhole", cidr, "proto", ROUTE_PROTO]);
}

/** Every route netfence's data plane added (its protocol number), as `ip route` prints them. */
export async function ownRoutes(): Promise<string[]> {
  const out = await run("ip", ["-4", "route", "show", "proto", ROUTE_PROTO]);
  return out.split("\n").filter(Boolean);
}

export async function removeOwnRoutes(): Promise<void> {
  for (const route of await ownRoutes()) await tryRun("ip", ["route", "del", ...route.trim().split(/\s+/), "proto", ROUTE_PROTO]);
}

/** Turns IPv4 forwarding on; returns the previous value to restore. */
export async function enableForwarding(): Promise<string> {
  const previous = (await readFile(FORWARDING, "utf8")).trim();
  if (previous !== "1") await writeFile(FORWARDING, "1");
  return previous;
}

export async function restoreForwarding(previous: string): Promise<void> {
  await writeFile(FORWARDING, previous);
}

/** Felix's nftables tables ("ip calico", …) as "family name". */
export async function felixNftTables(): Promise<string[]> {
  const out = (await tryRun("nft", ["list", "tables"])).stdout;
  return out
    .split("\n")
    .map((l) => l.replace(/^table\s+/, "").trim())
    .filter((t) => /\scalico/.test(t));
}

/** Felix's iptables chains (cali-*) in every table of both backends, as "backend table chain". */
export async function felixIptablesChains(): Promise<string[]> {
  const found: string[] = [];
  for (const backend of ["iptables-nft", "iptables-legacy"]) {
    const out = (await tryRun(`${backend}-save`, [])).stdout;
    let table = "";
    for (const line of out.split("\n")) {
      if (line.startsWith("*")) table = line.slice(1);
      const chain = /^:(cali-\S+)/.exec(line)?.[1];
      if (chain) found.push(`${backend} ${table} ${chain}`);
    }
  }
  return found;
}

export async function felixIpsets(): Promise<string[]> {
  const out = (await tryRun("ipset", ["list", "-n"])).stdout;
  return out.split("\n").filter((s) => s.startsWith("cali"));
}

/** Every Calico table, chain and set on the machine, whoever programmed it. */
export async function calicoState(): Promise<CalicoState> {
  const [nftTables, iptablesChains, ipsets] = await Promise.all([felixNftTables(), felixIptablesChains(), felixIpsets()]);
  return { nftTables, iptablesChains, ipsets };
}

/**
 * Removes every Calico table, chain and set (felix leaves them in place when it
 * stops). Only for a run whose record says it started felix on a machine that
 * had none: then all of it is the run's (calico-state.ts).
 */
export async function removeFelixState(): Promise<void> {
  for (const table of await felixNftTables()) await tryRun("nft", ["delete", "table", ...table.split(/\s+/)]);
  const chains = await felixIptablesChains();
  const tables = new Set(chains.map((c) => c.split(" ").slice(0, 2).join(" ")));
  for (const bt of tables) {
    const [backend = "", table = ""] = bt.split(" ");
    // Rules in built-in chains that jump to cali-* chains first, then the chains.
    const save = (await tryRun(`${backend}-save`, ["-t", table])).stdout;
    for (const line of save.split("\n").filter((l) => l.startsWith("-A ") && / -j cali-/.test(l) && !/^-A cali-/.test(l))) {
      await tryRun(backend, ["-t", table, "-D", ...line.slice(3).split(/\s+/)]);
    }
    const mine = chains.filter((c) => c.startsWith(`${bt} `)).map((c) => c.split(" ")[2] ?? "");
    for (const chain of mine) await tryRun(backend, ["-t", table, "-F", chain]);
    for (const chain of mine) await tryRun(backend, ["-t", table, "-X", chain]);
  }
  for (const set of await felixIpsets()) await tryRun("ipset", ["destroy", set]);
}

/** Forgets connection-tracking entries of the pod range (a later probe must not ride an old flow). */
export async function flushConntrack(cidr: string): Promise<void> {
  await tryRun("conntrack", ["-D", "-s", cidr]);
  await tryRun("conntrack", ["-D", "-d", cidr]);
}

export async function removeFelixFiles(createdStateDir: boolean): Promise<void> {
  if (createdStateDir) await rm(FELIX_STATE_DIR, { recursive: true, force: true });
}
