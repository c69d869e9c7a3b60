/**
 * Effective isolation: does a profile's generated NetworkPolicy still decide
 * what reaches (and, when it isolates egress, leaves) the pods it isolates, or
 * does another NetworkPolicy in the namespace admit more?
 *
 * NetworkPolicies are additive: a policy P bypasses the profile when
 *  (a) P's podSelector and the profile's can select the same pod,
 *  (b) P has a policyType the profile isolates, and
 *  (c) a rule of P admits a peer × port that no rule of the profile admits.
 * Decided by rule containment (the pods that exist now do not matter: a rule
 * admitting a namespace with no pods yet is already a bypass). Label selectors
 * are decided exactly (selector-logic.ts); an ipBlock is its addresses, which
 * only the profile's ipBlocks (or a rule without peers) cover. What cannot be
 * decided without the pods — a named port against a number, a pod the profile
 * admits only through an ipBlock, a search over the budget — is a Possible
 * bypass with a reason; never Isolated. An Admin-tier Accept that reaches
 * the isolated pods is judged the same way (bypass-tiers.ts), after the
 * NetworkPolicies. Pure.
 */
import { firstFew } from "../lib/first-few.js";
import { LIMITS } from "../api/constants.js";
import type { Labels, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec, PolicyType, Protocol } from "../k8s/objects.js";
import { bounded } from "../lib/bounded.js";
import { adminAccepts } from "./bypass-tiers.js";
import { ownedBy } from "./ownership.js";
import { effectivePolicyTypes } from "./reachability.js";
import {
  cutsOf,
  describeAddress,
  describePodWitness,
  describePortAtoms,
  describePortExample,
  namespaceContext,
  portAtoms,
  portsCover,
  podSpace,
  ruleAtoms,
  rulePorts,
  splitAtoms,
  subtract,
  type Atom,
  type NamespaceContext,
  type PortAtom,
  type RulePorts,
} from "./bypass-space.js";
import { Conjunction, findWitness, requirementsOf, type PodPeer } from "./selector-logic.js";
import type { TierPolicy } from "./tiers-parse.js";

export type BypassCertainty = "Certain" | "Possible";

export interface BypassEntry {
  /** "namespace/name" of the widening policy. */
  policy: string;
  direction: PolicyType;
  /** 0-based index in spec.ingress / spec.egress. */
  rule: number;
  certainty: BypassCertainty;
  /** What the rule lets through beyond the profile: "any pod in any namespace, any port". */
  allows: string;
  /** Certain: one concrete peer and port the rule admits and the profile does not. */
  witness?: string;
  /** Possible: why it could not be decided. */
  reason?: string;
}

export interface NamespaceVerdict {
  state: "Isolated" | "Bypassed";
  /** NetworkPolicies sorted by name, then Ingress before Egress, then rule; then the Admin tier's rules in the tier's order. */
  bypassedBy: BypassEntry[];
}

export interface BypassInput {
  /** The IsolationProfile's name and uid: its own policy (ownership.ts: the generated name and this owner uid) is never a bypasser. */
  profileName: string;
  /** Absent only offline (a profile rendered from a file has no uid): then the generated name and netfence's labels stand in. */
  profileUid?: string;
  /** The namespace judged. */
  namespace: string;
  /** Its labels now: the namespace's own pods are admitted by a namespace selector exactly when these match it. Default: only kubernetes.io/metadata.name. */
  namespaceLabels?: Labels;
  /** The profile's NetworkPolicy for this namespace, as rendered (renderProfile) or as found in the cluster. */
  desired: NetworkPolicy;
  /** Every NetworkPolicy in the namespace (the profile's own and other namespaces' are skipped). */
  policies: readonly NetworkPolicy[];
  /** The cluster's Admin and Baseline tier policies as read (tiers-parse.ts); an Admin-tier Accept can bypass (bypass-tiers.ts). */
  tierPolicies?: readonly TierPolicy[];
}

export interface BypassOptions {
  /** Steps the selector search may take per peer and port piece before answering Possible; default 1,000 (a re-evaluation stays bounded even for 32-peer rules). */
  searchBudget?: number;
}

const DEFAULT_BUDGET = 1_000;
/** How many peers an entry's `allows` names before counting the rest. */
const MAX_PEERS_NAMED = 4;

/** "dev/allow-all ingress[0]: any pod in any namespace, any port" (+ " (possible: …)"). */
export function formatBypass(e: BypassEntry): string {
  const field = `${e.direction === "Ingress" ? "ingress" : "egress"}[${e.rule}]`;
  const tail = e.certainty === "Possible" ? ` (possible: ${e.reason ?? "undecided"})` : "";
  return bounded(`${e.policy} ${field}: ${e.allows}${tail}`, LIMITS.bypassedText);
}

// ---------------------------------------------------------------------------
// The profile side, compiled once per spec (renderProfile shares one frozen spec across namespaces)

interface ProfileRule {
  peers: readonly NetworkPolicyPeer[] | undefined;
  ports: RulePorts;
}

interface ProfileDirection {
  rules: readonly ProfileRule[];
  /** Where the profile's port ranges start and end: other rules' ranges are split there. */
  cuts: Map<Protocol, number[]>;
}

interface CompiledProfile {
  /** undefined: the profile's podSelector selects no pod. */
  isolated: Conjunction | undefined;
  ingress?: ProfileDirection;
  egress?: ProfileDirection;
}

/** A profile direction in one namespace: its peers resolved against the namespace (name and labels). */
interface ResolvedDirection {
  rules: readonly { atoms: readonly Atom[]; ports: RulePorts }[];
  cuts: Map<Protocol, number[]>;
}

const compiledBySpec = new WeakMap<NetworkPolicySpec, CompiledProfile>();

function compileDirection(rules: readonly { peers: readonly NetworkPolicyPeer[] | undefined; ports: NetworkPolicyPort[] | undefined }[]): ProfileDirection {
  const compiled = rules.map((r): ProfileRule => ({ peers: r.peers, ports: rulePorts(r.ports) }));
  return { rules: compiled, cuts: cutsOf(compiled.map((r) => r.ports)) };
}

function compileProfile(desired: NetworkPolicy): CompiledProfile {
  const hit = compiledBySpec.get(desired.spec);
  if (hit) return hit;
  const types = effectivePolicyTypes(desired);
  const selector = desired.spec.podSelector as NetworkPolicySpec["podSelector"] | undefined;
  const out: CompiledProfile = {
    isolated: selector === undefined ? undefined : Conjunction.of(requirementsOf(selector)),
    ...(types.includes("Ingress") ? { ingress: compileDirection((desired.spec.ingress ?? []).map((r) => ({ peers: r.from, ports: r.ports }))) } : {}),
    ...(types.includes("Egress") ? { egress: compileDirection((desired.spec.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports }))) } : {}),
  };
  compiledBySpec.set(desired.spec, out);
  return out;
}

/** The profile's peers in one namespace: which of them admit its own pods depends on its labels. */
function resolve(direction: ProfileDirection, ns: NamespaceContext): ResolvedDirection {
  return { rules: direction.rules.map((r) => ({ atoms: ruleAtoms(r.peers, ns), ports: r.ports })), cuts: direction.cuts };
}

// ---------------------------------------------------------------------------
// Containment of one peer × one port piece

type Outcome = { kind: "covered" } | { kind: "certain"; witness: string } | { kind: "possible"; reason: string };
const COVERED: Outcome = { kind: "covered" };

function atomOutcome(atom: Atom, peers: readonly Atom[], budget: number): Outcome {
  if (atom.kind === "unreadable") return { kind: "possible", reason: atom.reason };
  if (atom.kind === "addresses") {
    const blocks = peers.flatMap((p) => (p.kind === "addresses" ? p.intervals : []));
    const left = subtract(atom.intervals, blocks);
    const first = left[0];
    return first === undefined ? COVERED : { kind: "certain", witness: describeAddress(first) };
  }
  const others: PodPeer[] = peers.flatMap((p) => (p.kind === "pods" ? p.parts : []));
  let undecided = false;
  for (const part of atom.parts) {
    const space = podSpace(part);
    if (space === undefined) continue;
    const search = findWitness(space, others, budget);
    if (!search.found) {
      undecided ||= !search.exhausted;
      continue;
    }
    const blocks = peers.filter((p) => p.kind === "addresses");
    if (blocks.length > 0) {
      return { kind: "possible", reason: `${atom.words}: outside the profile's selectors, admitted by its ipBlock ${blocks.map((b) => b.words).join(", ")} only if their pod IPs fall in it` };
    }
    return { kind: "certain", witness: describePodWitness(search.space) };
  }
  return undecided ? { kind: "possible", reason: `${atom.words}: the profile's peers might cover them only together; undecided within ${budget} search steps` } : COVERED;
}

function namedPortReason(piece: PortAtom, names: readonly string[]): string {
  if (piece.protocol !== "other" && "name" in piece) return `${piece.protocol} port ${piece.name} is a name; whether the profile's ports cover it depends on the number the pods give it`;
  const list = names.join(", ");
  return `whether the profile's named port${names.length === 1 ? "" : "s"} ${list} cover${names.length === 1 ? "s" : ""} these numbers depends on the pods`;
}

interface Uncovered {
  atom: number;
  piece: PortAtom;
  outcome: Exclude<Outcome, { kind: "covered" }>;
}

/** Which profile rules cover a port piece for sure and which maybe (named ports); `key` tells equal covers apart. */
interface PieceCover {
  key: string;
  sure: Atom[];
  maybe: Atom[];
  /** The names of the profile's named ports of the piece's protocol in the "maybe" rules. */
  names: string[];
}

function pieceCover(piece: PortAtom, profile: ResolvedDirection): PieceCover {
  const sure: Atom[] = [];
  const maybe: Atom[] = [];
  const names = new Set<string>();
  let key = "";
  for (const rule of profile.rules) {
    const cover = portsCover(rule.ports, piece);
    key += cover[0] ?? "";
    if (cover === "yes") sure.push(...rule.atoms);
    if (cover !== "maybe" || rule.ports === "all") continue;
    maybe.push(...rule.atoms);
    for (const e of rule.ports) if (e.protocol === piece.protocol && "name" in e) names.add(e.name);
  }
  return { key, sure, maybe, names: [...names] };
}

function pieceOutcome(atom: Atom, piece: PortAtom, { sure, maybe, names }: PieceCover, budget: number): Outcome {
  const strict = atomOutcome(atom, sure, budget);
  if (strict.kind === "covered" || maybe.length === 0) return strict;
  const loose = atomOutcome(atom, [...sure, ...maybe], budget);
  return loose.kind === "covered" ? { kind: "possible", reason: namedPortReason(piece, names) } : loose;
}

// ---------------------------------------------------------------------------
// One rule of another policy

function allowsWords(atoms: readonly Atom[], uncovered: readonly Uncovered[], everyone: boolean): string {
  const groups = atoms.flatMap((atom, i) => {
    const pieces = uncovered.filter((u) => u.atom === i).map((u) => u.piece);
    return pieces.length === 0 ? [] : [{ words: atom.words, ports: describePortAtoms(pieces) }];
  });
  const first = groups[0];
  if (everyone && first && groups.length === atoms.length && groups.every((g) => g.ports === first.ports)) return `any pod in any namespace and any address, ${first.ports}`;
  // Status messages are bounded: a 32-peer rule names its first peers and counts the rest.
  return firstFew(groups.map((g) => `${g.words}, ${g.ports}`), MAX_PEERS_NAMED, { separator: "; ", and: "; and ", noun: "peer" });
}

function ruleEntry(
  policy: string,
  direction: PolicyType,
  index: number,
  rule: { peers: readonly NetworkPolicyPeer[] | undefined; ports: readonly NetworkPolicyPort[] | undefined },
  profile: ResolvedDirection,
  ns: NamespaceContext,
  budget: number,
): BypassEntry | undefined {
  const atoms = ruleAtoms(rule.peers, ns);
  const pieces = splitAtoms(portAtoms(rulePorts(rule.ports)), profile.cuts);
  const uncovered: Uncovered[] = [];
  const covers = pieces.map((piece) => pieceCover(piece, profile));
  atoms.forEach((atom, i) => {
    // Pieces covered by the same profile rules have the same outcome (except a named port's reason): decide each cover once.
    const seen = new Map<string, Outcome>();
    pieces.forEach((piece, j) => {
      const cover = covers[j];
      if (cover === undefined) return;
      const key = `${cover.key}${"name" in piece ? `#${piece.name}` : ""}`;
      let outcome = seen.get(key);
      if (outcome === undefined) {
        outcome = pieceOutcome(atom, piece, cover, budget);
        seen.set(key, outcome);
      }
      if (outcome.kind !== "covered") uncovered.push({ atom: i, piece, outcome });
    });
  });
  if (uncovered.length === 0) return undefined;
  const allows = allowsWords(atoms, uncovered, rule.peers === undefined || rule.peers.length === 0);
  const certain = uncovered.find((u) => u.outcome.kind === "certain");
  if (certain && certain.outcome.kind === "certain") {
    return { policy, direction, rule: index, certainty: "Certain", allows, witness: bounded(`${certain.outcome.witness}, ${describePortExample(certain.piece)}`, LIMITS.bypassedText) };
  }
  const reasons = [...new Set(uncovered.map((u) => (u.outcome.kind === "possible" ? u.outcome.reason : "")))].filter((r) => r !== "");
  return { policy, direction, rule: index, certainty: "Possible", allows, reason: bounded(reasons.join("; "), LIMITS.bypassedText) };
}

function byName(a: NetworkPolicy, b: NetworkPolicy): number {
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

/**
 * The verdict for one namespace a profile selects: Isolated, or Bypassed with
 * every rule of another policy that admits more than the profile (Certain with
 * a witness, or Possible with a reason).
 *
 * `desired` is the profile's policy for the namespace: the entry of
 * renderProfile(parsed, namespaces) for it (or the live generated policy, as
 * `netfence explain --namespace` does). `policies` is every NetworkPolicy in
 * the namespace as the cache holds it; the profile's own is skipped. The
 * profile side is compiled once per `desired.spec` object (renderProfile
 * shares one frozen spec across namespaces): treat it as immutable. A policy
 * change needs only its namespace re-evaluated.
 */
export function bypassVerdict(input: BypassInput, options: BypassOptions = {}): NamespaceVerdict {
  const budget = options.searchBudget ?? DEFAULT_BUDGET;
  const { namespace, desired } = input;
  const profile = compileProfile(desired);
  const own = input.profileUid === undefined ? { name: input.profileName } : { name: input.profileName, uid: input.profileUid };
  const ns = namespaceContext(namespace, input.namespaceLabels);
  const bypassedBy: BypassEntry[] = [];
  if (profile.isolated === undefined) return { state: "Isolated", bypassedBy };
  const resolved: { ingress?: ResolvedDirection; egress?: ResolvedDirection } = {};
  for (const policy of [...input.policies].sort(byName)) {
    if ((policy.metadata.namespace ?? namespace) !== namespace || ownedBy(policy, own)) continue;
    const selector = policy.spec.podSelector as NetworkPolicySpec["podSelector"] | undefined;
    if (selector === undefined || profile.isolated.andAll(requirementsOf(selector)) === undefined) continue;
    const types = effectivePolicyTypes(policy);
    const key = `${namespace}/${policy.metadata.name}`;
    if (profile.ingress && types.includes("Ingress")) {
      const ingress = (resolved.ingress ??= resolve(profile.ingress, ns));
      (policy.spec.ingress ?? []).forEach((r, i) => {
        const entry = ruleEntry(key, "Ingress", i, { peers: r.from, ports: r.ports }, ingress, ns, budget);
        if (entry) bypassedBy.push(entry);
      });
    }
    if (profile.egress && types.includes("Egress")) {
      const egress = (resolved.egress ??= resolve(profile.egress, ns));
      (policy.spec.egress ?? []).forEach((r, i) => {
        const entry = ruleEntry(key, "Egress", i, { peers: r.to, ports: r.ports }, egress, ns, budget);
        if (entry) bypassedBy.push(entry);
      });
    }
  }
  const directions: PolicyType[] = [...(profile.ingress ? (["Ingress"] as const) : []), ...(profile.egress ? (["Egress"] as const) : [])];
  for (const t of adminAccepts(input.tierPolicies ?? [], profile.isolated, ns, directions)) {
    const side = t.direction === "Ingress" ? profile.ingress : profile.egress;
    if (side === undefined) continue;
    if (t.unreadable !== undefined) {
      bypassedBy.push({ policy: t.policy, direction: t.direction, rule: t.rule, certainty: "Possible", allows: "what this Admin-tier rule admits cannot be read", reason: bounded(t.unreadable, LIMITS.bypassedText) });
      continue;
    }
    const resolvedSide = t.direction === "Ingress" ? (resolved.ingress ??= resolve(side, ns)) : (resolved.egress ??= resolve(side, ns));
    const entry = ruleEntry(t.policy, t.direction, t.rule, { peers: t.peers, ports: t.ports }, resolvedSide, ns, budget);
    if (entry === undefined) continue;
    if (t.shadowedBy !== undefined && entry.certainty === "Certain") {
      const { witness: _witness, ...rest } = entry;
      bypassedBy.push({ ...rest, certainty: "Possible", reason: bounded(`${t.shadowedBy} comes first in the Admin tier and may decide this traffic`, LIMITS.bypassedText) });
    } else bypassedBy.push(entry);
  }
  return { state: bypassedBy.length > 0 ? "Bypassed" : "Isolated", bypassedBy };
}
