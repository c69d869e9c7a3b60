/**
 * The two spaces a NetworkPolicy rule admits, as sets bypass.ts can compare:
 * who (peers: pods by namespace and pod labels, or addresses by ipBlock) and
 * what (ports: protocol × port number, named ports, and "other" — ICMP and
 * anything only a rule without ports admits). Pure.
 */
import { LABEL_NAMESPACE_NAME } from "../api/constants.js";
import { firstFew } from "../lib/first-few.js";
import { formatIp, type IpFamily } from "../k8s/cidr.js";
import { PROTOCOLS, type LabelSelector, type Labels, type NetworkPolicyPeer, type NetworkPolicyPort, type Protocol } from "../k8s/objects.js";
import { readPeer } from "./peers.js";
import { describeSelector } from "./reach-explain.js";
import { matchesSelector } from "./selectors.js";
import { Conjunction, requirementsOf, type PodPeer, type PodSpace, type Requirement } from "./selector-logic.js";

// ---------------------------------------------------------------------------
// Addresses

export interface Interval {
  family: IpFamily;
  first: bigint;
  last: bigint;
}

const V4_MAX = (1n << 32n) - 1n;
const V6_MAX = (1n << 128n) - 1n;
export const ALL_V4: Interval = { family: 4, first: 0n, last: V4_MAX };
export const ALL_V6: Interval = { family: 6, first: 0n, last: V6_MAX };

function byStart(a: Interval, b: Interval): number {
  if (a.family !== b.family) return a.family - b.family;
  return a.first < b.first ? -1 : a.first > b.first ? 1 : 0;
}

/** `from` minus every interval of `minus` (any order, any overlap). */
export function subtract(from: readonly Interval[], minus: readonly Interval[]): Interval[] {
  const cuts = [...minus].sort(byStart);
  const out: Interval[] = [];
  for (const piece of from) {
    let first = piece.first;
    let done = false;
    for (const cut of cuts) {
      if (cut.family !== piece.family || cut.last < first || cut.first > piece.last) continue;
      if (cut.first > first) out.push({ family: piece.family, first, last: cut.first - 1n });
      if (cut.last >= piece.last) {
        done = true;
        break;
      }
      first = cut.last + 1n;
    }
    if (!done) out.push({ family: piece.family, first, last: piece.last });
  }
  return out;
}

// ---------------------------------------------------------------------------
// Peers

/**
 * One peer of a rule: addresses (an ipBlock), pods, or an ipBlock that cannot
 * be read (it may admit addresses; nothing covers it). Pods are split into the
 * parts the judged namespace decides exactly: its own pods (when the peer's
 * namespace selector matches the namespace's current labels, or names no
 * namespace) and the pods of every other namespace, present or future.
 */
export type Atom =
  | { kind: "addresses"; intervals: Interval[]; words: string }
  | { kind: "pods"; parts: readonly PodPeer[]; words: string }
  | { kind: "unreadable"; words: string; reason: string };

/** The namespace a verdict is for: its name and its labels now (kubernetes.io/metadata.name included). */
export interface NamespaceContext {
  name: string;
  labels: Labels;
}

/** A namespace as judged without its object: only the label the API server sets. */
export function namespaceContext(name: string, labels?: Labels): NamespaceContext {
  return { name, labels: { ...labels, [LABEL_NAMESPACE_NAME]: name } };
}

const EVERY_POD: PodPeer = { namespace: [], pod: [] };
const ANY_POD: Atom = { kind: "pods", parts: [EVERY_POD], words: "any pod in any namespace" };
const ANY_V4: Atom = { kind: "addresses", intervals: [ALL_V4], words: "any IPv4 address" };
const ANY_V6: Atom = { kind: "addresses", intervals: [ALL_V6], words: "any IPv6 address" };
/** What a rule without peers admits: every pod and every address. */
export const EVERYONE: readonly Atom[] = [ANY_POD, ANY_V4, ANY_V6];

/** How many values of one selector requirement, and how many requirements, a description names before counting the rest. */
const DESCRIBED = { values: 5, requirements: 6 } as const;

function podWords(namespaceSelector: LabelSelector | "same", podSelector: LabelSelector, namespace: string): string {
  const pods = requirementsOf(podSelector).length === 0 ? "any pod" : `pods ${describeSelector(podSelector, DESCRIBED)}`;
  if (namespaceSelector === "same") return `${pods} in namespace ${namespace}`;
  return requirementsOf(namespaceSelector).length === 0 ? `${pods} in any namespace` : `${pods} in namespaces ${describeSelector(namespaceSelector, DESCRIBED)}`;
}

function podParts(namespaceSelector: LabelSelector | "same", podSelector: LabelSelector, ns: NamespaceContext): PodPeer[] {
  const pod = requirementsOf(podSelector);
  const here: Requirement = { key: LABEL_NAMESPACE_NAME, operator: "In", values: [ns.name] };
  if (namespaceSelector === "same") return [{ namespace: [here], pod }];
  const namespace = requirementsOf(namespaceSelector);
  if (namespace.length === 0) return [{ namespace, pod }];
  const elsewhere: PodPeer = { namespace: [...namespace, { key: LABEL_NAMESPACE_NAME, operator: "NotIn", values: [ns.name] }], pod };
  return matchesSelector(namespaceSelector, ns.labels) ? [{ namespace: [here], pod }, elsewhere] : [elsewhere];
}

/**
 * A peer as the evaluator reads it (peers.ts), in the namespace of its policy:
 * undefined for a peer that admits nothing.
 */
export function peerAtom(peer: NetworkPolicyPeer, ns: NamespaceContext): Atom | undefined {
  const meaning = readPeer(peer);
  switch (meaning.kind) {
    case "empty":
      return undefined;
    case "unreadable":
      return { kind: "unreadable", words: `ipBlock ${meaning.text}`, reason: `ipBlock ${meaning.text} cannot be read (${meaning.error}); a data plane may still admit addresses by it` };
    case "addresses": {
      const { cidr, except } = meaning.block;
      return { kind: "addresses", intervals: subtract([{ family: cidr.family, first: cidr.first, last: cidr.last }], except.map((e) => ({ family: e.family, first: e.first, last: e.last }))), words: meaning.text };
    }
    case "pods": {
      const { namespaceSelector, podSelector } = meaning;
      let words: string | undefined;
      return {
        kind: "pods",
        parts: podParts(namespaceSelector, podSelector, ns),
        // Words only for what is reported: most peers are covered and never described.
        get words() {
          return (words ??= podWords(namespaceSelector, podSelector, ns.name));
        },
      };
    }
  }
}

/** The peers of a rule (`from` or `to`): none listed means everyone. */
export function ruleAtoms(peers: readonly NetworkPolicyPeer[] | undefined, ns: NamespaceContext): Atom[] {
  if (peers === undefined || peers.length === 0) return [...EVERYONE];
  return peers.flatMap((p) => peerAtom(p, ns) ?? []);
}

/** Every namespace carries kubernetes.io/metadata.name: a space of real pods has it. */
const NAMESPACE_EXISTS: Requirement = { key: LABEL_NAMESPACE_NAME, operator: "Exists", values: [] };

const spaces = new WeakMap<PodPeer, PodSpace | null>();

/** The pods a pod atom admits, or undefined when its selectors can match no pod (memoised per peer). */
export function podSpace(peer: PodPeer): PodSpace | undefined {
  let space = spaces.get(peer);
  if (space === undefined) {
    const namespace = Conjunction.of([NAMESPACE_EXISTS, ...peer.namespace]);
    const pod = Conjunction.of(peer.pod);
    space = namespace && pod ? { namespace, pod } : null;
    spaces.set(peer, space);
  }
  return space ?? undefined;
}

function labelsText(labels: Record<string, string>): string {
  return firstFew(
    Object.entries(labels).map(([k, v]) => `${k}=${v}`),
    DESCRIBED.requirements,
    { separator: ",", and: " … and ", noun: "label" },
  );
}

/** "a pod labelled app=x in namespace x (labelled team=a)" */
export function describePodWitness(space: PodSpace): string {
  const pod = space.pod.example();
  const { [LABEL_NAMESPACE_NAME]: name, ...nsLabels } = space.namespace.example();
  const who = Object.keys(pod).length === 0 ? "a pod with no labels" : `a pod labelled ${labelsText(pod)}`;
  const extra = Object.keys(nsLabels).length === 0 ? "" : ` (labelled ${labelsText(nsLabels)})`;
  return `${who} in namespace ${name ?? "x"}${extra}`;
}

export function describeAddress(interval: Interval): string {
  return `address ${formatIp({ family: interval.family, value: interval.first })}`;
}

// ---------------------------------------------------------------------------
// Ports

const MAX_PORT = 65535;

/** A piece of the port space: a numeric range, a named port, or "other" (ICMP and any protocol without ports). */
export type PortAtom = { protocol: Protocol; lo: number; hi: number } | { protocol: Protocol; name: string } | { protocol: "other" };

/** A rule's ports: "all" (no ports listed) or its entries. */
export type RulePorts = "all" | PortAtom[];

export function rulePorts(ports: readonly NetworkPolicyPort[] | undefined): RulePorts {
  if (ports === undefined || ports.length === 0) return "all";
  return ports.map((e): PortAtom => {
    const protocol = e.protocol ?? "TCP";
    if (e.port === undefined) return { protocol, lo: 1, hi: MAX_PORT };
    if (typeof e.port === "string") return { protocol, name: e.port };
    return { protocol, lo: e.port, hi: Math.max(e.port, e.endPort ?? e.port) };
  });
}

export function portAtoms(ports: RulePorts): PortAtom[] {
  return ports === "all" ? [...PROTOCOLS.map((protocol) => ({ protocol, lo: 1, hi: MAX_PORT })), { protocol: "other" }] : ports;
}

/** Splits numeric ranges at `cuts` (per protocol: the first port of every piece), so a profile entry covers a piece wholly or not at all. */
export function splitAtoms(atoms: readonly PortAtom[], cuts: ReadonlyMap<Protocol, readonly number[]>): PortAtom[] {
  const out: PortAtom[] = [];
  for (const a of atoms) {
    if (a.protocol === "other" || !("lo" in a)) {
      out.push(a);
      continue;
    }
    let lo = a.lo;
    for (const cut of cuts.get(a.protocol) ?? []) {
      if (cut <= lo || cut > a.hi) continue;
      out.push({ protocol: a.protocol, lo, hi: cut - 1 });
      lo = cut;
    }
    out.push({ protocol: a.protocol, lo, hi: a.hi });
  }
  return out;
}

/** Where ranges start and end, per protocol, for splitAtoms. */
export function cutsOf(all: readonly RulePorts[]): Map<Protocol, number[]> {
  const sets = new Map<Protocol, Set<number>>();
  for (const ports of all) {
    if (ports === "all") continue;
    for (const a of ports) {
      if (a.protocol === "other" || !("lo" in a)) continue;
      const set = sets.get(a.protocol) ?? new Set<number>();
      set.add(a.lo);
      set.add(a.hi + 1);
      sets.set(a.protocol, set);
    }
  }
  return new Map([...sets.entries()].map(([p, s]) => [p, [...s].sort((x, y) => x - y)]));
}

/**
 * Does a profile rule's ports cover a piece (after splitting)? "maybe" when it
 * depends on which numbers the pods give their named ports.
 */
export function portsCover(ports: RulePorts, piece: PortAtom): "yes" | "maybe" | "no" {
  if (ports === "all") return "yes";
  if (piece.protocol === "other") return "no";
  let maybe = false;
  for (const e of ports) {
    if (e.protocol !== piece.protocol) continue;
    if ("lo" in e) {
      if ("lo" in piece) {
        if (e.lo <= piece.lo && e.hi >= piece.hi) return "yes";
      } else if (e.lo === 1 && e.hi === MAX_PORT) return "yes";
      else maybe = true;
    } else if ("name" in e) {
      if ("name" in piece && piece.name === e.name) return "yes";
      maybe = true;
    }
  }
  return maybe ? "maybe" : "no";
}

/** "TCP 8080" — one concrete port in the piece. */
export function describePortExample(piece: PortAtom): string {
  if (piece.protocol === "other") return "ICMP";
  if (!("lo" in piece)) return `${piece.protocol} port ${piece.name}`;
  // A familiar port when the piece has it: "TCP 80" reads better than "TCP 1".
  return `${piece.protocol} ${piece.lo <= 80 && piece.hi >= 80 ? 80 : piece.lo}`;
}

/** "any port", "TCP 8080-8090", "any UDP port, TCP 80, 443", "TCP port http". */
export function describePortAtoms(pieces: readonly PortAtom[]): string {
  const ranges = new Map<Protocol, [number, number][]>();
  const names = new Map<Protocol, Set<string>>();
  let other = false;
  for (const p of pieces) {
    if (p.protocol === "other") other = true;
    else if ("lo" in p) {
      const list = ranges.get(p.protocol) ?? [];
      list.push([p.lo, p.hi]);
      ranges.set(p.protocol, list);
    } else names.set(p.protocol, (names.get(p.protocol) ?? new Set<string>()).add(p.name));
  }
  const parts: string[] = [];
  let full = 0;
  for (const protocol of PROTOCOLS) {
    const merged: [number, number][] = [];
    for (const [lo, hi] of (ranges.get(protocol) ?? []).sort((a, b) => a[0] - b[0])) {
      const last = merged[merged.length - 1];
      if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
      else merged.push([lo, hi]);
    }
    const first = merged[0];
    if (merged.length === 1 && first && first[0] === 1 && first[1] === MAX_PORT) {
      full++;
      parts.push(`any ${protocol} port`);
      continue;
    }
    if (merged.length > 0) parts.push(`${protocol} ${merged.map(([lo, hi]) => (lo === hi ? String(lo) : `${lo}-${hi}`)).join(", ")}`);
    for (const name of names.get(protocol) ?? []) parts.push(`${protocol} port ${name}`);
  }
  if (other && full === PROTOCOLS.length) return "any port";
  if (other) parts.push("ICMP and other protocols");
  return parts.join(", ");
}
