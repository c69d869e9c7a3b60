/**
 * Whose Calico state is on the machine. Felix names what it programs (nftables
 * tables `calico`, iptables chains `cali-*`, ipsets `cali*`) but not after the
 * run that started it, so the data plane owns it only by record: a run starts
 * felix only on a machine with no Calico state, and records that it did
 * (RunRecord.felixStarted). State found with no such record is somebody
 * else's, and the data plane neither removes it nor starts beside it.
 */
import type { RunRecord } from "./record.js";

export interface CalicoState {
  /** nftables tables as "family name". */
  nftTables: string[];
  /** iptables chains as "backend table chain". */
  iptablesChains: string[];
  ipsets: string[];
}

export function isEmpty(state: CalicoState): boolean {
  return state.nftTables.length + state.iptablesChains.length + state.ipsets.length === 0;
}

/**
 * Who the Calico state belongs to when a run takes the machine: nobody (there
 * is none), the crashed run whose record says it started felix on a clean
 * machine (to be swept), or somebody else (refuse to start).
 */
export function ownerOf(state: CalicoState, stale: Pick<RunRecord, "felixStarted"> | undefined): "none" | "crashed-run" | "foreign" {
  if (isEmpty(state)) return "none";
  return stale?.felixStarted === true ? "crashed-run" : "foreign";
}

function few(kind: string, names: readonly string[]): string[] {
  if (names.length === 0) return [];
  const shown = names.slice(0, 3).join(", ");
  return [`${String(names.length)} ${kind} (${shown}${names.length > 3 ? ", …" : ""})`];
}

/** "1 nftables table (ip calico), 12 iptables chains (iptables-nft filter cali-FORWARD, …)" */
export function describeCalicoState(state: CalicoState): string {
  const tables = state.nftTables.length === 1 ? "nftables table" : "nftables tables";
  const chains = state.iptablesChains.length === 1 ? "iptables chain" : "iptables chains";
  const sets = state.ipsets.length === 1 ? "ipset" : "ipsets";
  return [...few(tables, state.nftTables), ...few(chains, state.iptablesChains), ...few(sets, state.ipsets)].join(", ");
}

/** The one-line refusal when the state is somebody else's. */
export function foreignStateMessage(state: CalicoState): string {
  return `Calico state that no netfence run recorded is on this machine (${describeCalicoState(state)}): another Calico data plane, or leftovers of one; netfence removes only what its own runs created, so remove it by hand if nothing uses it (nft delete table, iptables -F/-X, ipset destroy)`;
}
