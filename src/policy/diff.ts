/**
 * Connectivity diff: which ordered pairs (from, to, protocol/port) gain or lose
 * a connection between two cluster states, and which objects cause each change.
 * Pure: it reads two reachability indexes and uses the same evaluator as
 * `matrix` (every pair) and `check` (the reasons of one pair).
 *
 * Attribution. For each changed pair and each side whose verdict flipped (the
 * source's egress, the destination's ingress), every NetworkPolicy has a stance
 * towards the pair in each state: "none" (absent, or does not select the pod for
 * that direction), "isolates" (selects it, admits nothing of this traffic from
 * or to the peer) or "admits". A policy causes a loss when its stance moves
 * admits→isolates, admits→none or none→isolates; a gain when it moves
 * isolates→admits, none→admits or isolates→none. Of those, policies that were
 * added, removed or whose spec changed are the causes. When a policy whose spec
 * did not change moved (its selectors now match other pods), or no policy moved
 * (a named port resolves differently), the causes are the pair's ends and their
 * namespaces that were added, removed or changed (labels, IPs, container ports).
 */
import { LABEL_MANAGED_BY, LABEL_PROFILE, MANAGED_BY_VALUE } from "../api/constants.js";
import { formatIp } from "../k8s/cidr.js";
import type { PolicyType } from "../k8s/objects.js";
import { canonicalJson } from "./canonical.js";
import type { Traffic } from "./ports.js";
import { evaluate, matrix, matrixCells, resolveEndpoint, type Matrix, type MatrixCell, type MatrixOptions, type PodEntry, type PolicyEntry, type ReachabilityIndex, type Verdict } from "./reachability.js";

export type ChangeKind = "gained" | "lost";
export type ObjectChange = "added" | "removed" | "changed";

/** An object that differs between the two states and explains a change. */
export interface Cause {
  kind: "NetworkPolicy" | "Pod" | "Namespace";
  /** "namespace/name" for policies and pods, the name for a namespace. */
  name: string;
  namespace: string;
  change: ObjectChange;
  /** The IsolationProfile a netfence-generated policy belongs to. */
  profile?: string;
}

export interface PairChange {
  /** The probe as asked (one of ConnectivityDiff.traffics). */
  traffic: Traffic;
  from: string;
  to: string;
  protocol: Traffic["protocol"];
  /** The port as the destination resolved it (a name when it could not); absent for ICMP. */
  port?: number | string;
  change: ChangeKind;
  /** The sides whose verdict flipped; empty when an end exists in one state only. */
  sides: PolicyType[];
  causes: Cause[];
}

export interface ConnectivityDiff {
  traffics: Traffic[];
  /** Ordered pairs compared, over every traffic (pairs of either state). */
  pairs: number;
  changes: PairChange[];
  /** One matrix per traffic, in `traffics` order. */
  before: Matrix[];
  after: Matrix[];
}

type Stance = "none" | "isolates" | "admits";

const TOWARD: Record<ChangeKind, ReadonlySet<string>> = {
  lost: new Set(["admits>isolates", "admits>none", "none>isolates"]),
  gained: new Set(["isolates>admits", "none>admits", "isolates>none"]),
};

function stances(verdict: Verdict | undefined): Map<string, Stance> {
  const out = new Map<string, Stance>();
  for (const key of verdict?.isolatedBy ?? []) out.set(key, "isolates");
  for (const admission of verdict?.admittedBy ?? []) out.set(admission.policy, "admits");
  return out;
}

function byPolicyKey(index: ReachabilityIndex): Map<string, PolicyEntry> {
  return new Map(index.policies.map((p) => [p.key, p]));
}

function profileOf(entry: PolicyEntry): string | undefined {
  const labels = entry.policy.metadata.labels ?? {};
  return labels[LABEL_MANAGED_BY] === MANAGED_BY_VALUE ? labels[LABEL_PROFILE] : undefined;
}

/** How a keyed object differs between the states, or undefined when it is the same. */
function compare<T>(before: T | undefined, after: T | undefined, same: (a: T, b: T) => boolean): ObjectChange | undefined {
  if (before === undefined) return after === undefined ? undefined : "added";
  if (after === undefined) return "removed";
  return same(before, after) ? undefined : "changed";
}

interface States {
  before: ReachabilityIndex;
  after: ReachabilityIndex;
  beforePolicies: Map<string, PolicyEntry>;
  afterPolicies: Map<string, PolicyEntry>;
}

function policyCause(states: States, key: string): Cause | undefined {
  const b = states.beforePolicies.get(key);
  const a = states.afterPolicies.get(key);
  const change = compare(b, a, (x, y) => canonicalJson(x.policy.spec) === canonicalJson(y.policy.spec));
  const entry = a ?? b;
  if (change === undefined || entry === undefined) return undefined;
  const profile = profileOf(entry);
  return { kind: "NetworkPolicy", name: key, namespace: entry.namespace, change, ...(profile === undefined ? {} : { profile }) };
}

/** What of a pod the evaluator reads: labels, IPs, container ports. */
function podState(pod: PodEntry): string {
  return canonicalJson([pod.labels, pod.ips.map(formatIp), pod.containerPorts]);
}

function podCauses(states: States, name: string): Cause[] {
  const pod = (index: ReachabilityIndex) => {
    const i = index.podByKey.get(name);
    return i === undefined ? undefined : index.pods[i];
  };
  const b = pod(states.before);
  const a = pod(states.after);
  const entry = a ?? b;
  if (entry === undefined) return [];
  const out: Cause[] = [];
  const podChange = compare(b, a, (x, y) => podState(x) === podState(y));
  if (podChange) out.push({ kind: "Pod", name, namespace: entry.namespace, change: podChange });
  const nsChange = compare(states.before.namespaceLabels.get(entry.namespace), states.after.namespaceLabels.get(entry.namespace), (x, y) => canonicalJson(x) === canonicalJson(y));
  if (nsChange) out.push({ kind: "Namespace", name: entry.namespace, namespace: entry.namespace, change: nsChange });
  return out;
}

function causeKey(c: Cause): string {
  return `${c.kind}\u0000${c.name}`;
}

/** The causes of one changed pair present in both states (see the module comment). */
function attribute(states: States, from: string, to: string, traffic: Traffic, change: ChangeKind): { sides: PolicyType[]; causes: Cause[] } {
  const evaluation = (index: ReachabilityIndex) => {
    const f = resolveEndpoint(index, from);
    const t = resolveEndpoint(index, to);
    return f.ok && t.ok ? evaluate(index, f.value, t.value, traffic) : undefined;
  };
  const b = evaluation(states.before);
  const a = evaluation(states.after);
  const sides: PolicyType[] = [];
  const causes = new Map<string, Cause>();
  let endsMoved = false;
  for (const side of ["egress", "ingress"] as const) {
    if (b?.[side].allowed === a?.[side].allowed) continue;
    sides.push(side === "egress" ? "Egress" : "Ingress");
    const before = stances(b?.[side]);
    const after = stances(a?.[side]);
    for (const key of new Set([...before.keys(), ...after.keys()])) {
      if (!TOWARD[change].has(`${before.get(key) ?? "none"}>${after.get(key) ?? "none"}`)) continue;
      const cause = policyCause(states, key);
      if (cause) causes.set(causeKey(cause), cause);
      else endsMoved = true;
    }
  }
  if (endsMoved || causes.size === 0) {
    for (const cause of [...podCauses(states, from), ...podCauses(states, to)]) causes.set(causeKey(cause), cause);
  }
  return { sides, causes: [...causes.values()].sort((x, y) => compareText(causeKey(x), causeKey(y))) };
}

function pairKey(c: { from: string; to: string }): string {
  return `${c.from}\u0000${c.to}`;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Every pair whose verdict differs between `before` and `after`, for each
 * traffic. A pair whose end exists in one state only counts as denied in the
 * other (a new pod's allowed pairs are gained; its cause is the pod).
 */
export function diffConnectivity(before: ReachabilityIndex, after: ReachabilityIndex, traffics: readonly Traffic[], options: MatrixOptions = {}): ConnectivityDiff {
  const states: States = { before, after, beforePolicies: byPolicyKey(before), afterPolicies: byPolicyKey(after) };
  const changes: PairChange[] = [];
  const beforeMatrices: Matrix[] = [];
  const afterMatrices: Matrix[] = [];
  let pairs = 0;
  const asked = [...traffics];
  for (const traffic of asked) {
    const mb = matrix(before, traffic, options);
    const ma = matrix(after, traffic, options);
    beforeMatrices.push(mb);
    afterMatrices.push(ma);
    const cellsBefore = new Map(matrixCells(mb).map((c) => [pairKey(c), c]));
    const cellsAfter = new Map(matrixCells(ma).map((c) => [pairKey(c), c]));
    const keys = new Set([...cellsBefore.keys(), ...cellsAfter.keys()]);
    pairs += keys.size;
    const found: PairChange[] = [];
    for (const key of keys) {
      const b: MatrixCell | undefined = cellsBefore.get(key);
      const a: MatrixCell | undefined = cellsAfter.get(key);
      const was = b?.allowed ?? false;
      const is = a?.allowed ?? false;
      const cell = a ?? b;
      if (was === is || cell === undefined) continue;
      const change: ChangeKind = is ? "gained" : "lost";
      const attributed = a && b ? attribute(states, cell.from, cell.to, traffic, change) : { sides: [], causes: [...podCauses(states, cell.from), ...podCauses(states, cell.to)] };
      found.push({ traffic, from: cell.from, to: cell.to, protocol: cell.protocol, ...(cell.port === undefined ? {} : { port: cell.port }), change, ...attributed });
    }
    found.sort((x, y) => compareText(x.from, y.from) || compareText(x.to, y.to));
    changes.push(...found);
  }
  return { traffics: asked, pairs, changes, before: beforeMatrices, after: afterMatrices };
}

/** "TCP/80" or "ICMP" for a change (a named port as the destination resolved it). */
export function describeChangeTraffic(c: Pick<PairChange, "protocol" | "port">): string {
  return c.port === undefined ? c.protocol : `${c.protocol}/${String(c.port)}`;
}

/** "IsolationProfile p" for a generated policy, else "NetworkPolicy ns/name", "Pod ns/name", "Namespace ns". */
export function describeCause(c: Cause): string {
  return c.profile === undefined ? `${c.kind} ${c.name} ${c.change}` : `IsolationProfile ${c.profile} (NetworkPolicy ${c.name} ${c.change})`;
}

export interface CauseGroup {
  namespace: string;
  /** The IsolationProfile, or the object when it is not generated by one. */
  title: string;
  changes: PairChange[];
}

const UNATTRIBUTED = "(no object differs: unattributed)";

/**
 * Changes grouped by the namespace of their cause, then by the profile (its
 * generated policies together) or the object. A change with several causes is
 * in each of their groups.
 */
export function groupByCause(changes: readonly PairChange[]): CauseGroup[] {
  const groups = new Map<string, CauseGroup>();
  const titles = new Map<string, Set<string>>();
  const add = (namespace: string, id: string, detail: string, change: PairChange): void => {
    const key = `${namespace}\u0000${id}`;
    let group = groups.get(key);
    if (!group) {
      group = { namespace, title: id, changes: [] };
      groups.set(key, group);
      titles.set(key, new Set());
    }
    titles.get(key)?.add(detail);
    if (!group.changes.includes(change)) group.changes.push(change);
  };
  for (const change of changes) {
    if (change.causes.length === 0) add(change.from.includes("/") ? (change.from.split("/")[0] ?? "") : (change.to.split("/")[0] ?? ""), UNATTRIBUTED, "", change);
    for (const cause of change.causes) {
      if (cause.profile === undefined) add(cause.namespace, `${cause.kind} ${cause.name} ${cause.change}`, "", change);
      else add(cause.namespace, `IsolationProfile ${cause.profile}`, `NetworkPolicy ${cause.name} ${cause.change}`, change);
    }
  }
  return [...groups.entries()]
    .map(([key, group]) => {
      const details = [...(titles.get(key) ?? [])].filter((d) => d !== "").sort(compareText);
      return details.length === 0 ? group : { ...group, title: `${group.title} (${details.join(", ")})` };
    })
    .sort((x, y) => compareText(x.namespace, y.namespace) || compareText(x.title, y.title));
}
