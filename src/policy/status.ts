import { LIMITS, NAMESPACE_STATES } from "../api/constants.js";
import { bounded } from "../lib/bounded.js";
import { firstFew } from "../lib/first-few.js";
import { canonicalJson } from "./canonical.js";
import type { Condition, EnforcementStatus, IsolationProfileStatus, NamespaceState, NamespaceStatus } from "../api/types.js";
import type { AdminKind } from "./admin-render.js";
import type { TenantProof } from "./admin-envelope.js";
import type { EnforcementChoice, PolicyKind } from "./enforcement.js";


export type NewCondition = Omit<Condition, "lastTransitionTime">;

/** Conditions keep their transition time unless the status flips. */
export function setCondition(list: readonly Condition[], next: NewCondition, now: string): Condition[] {
  const prev = list.find((c) => c.type === next.type);
  const lastTransitionTime = prev?.status === next.status ? prev.lastTransitionTime : now;
  return [...list.filter((c) => c.type !== next.type), { ...next, lastTransitionTime }].sort((a, b) => a.type.localeCompare(b.type));
}

const STATE_ORDER = Object.fromEntries(NAMESPACE_STATES.map((state, i) => [state, i])) as Record<NamespaceState, number>;

const byName = (a: NamespaceStatus, b: NamespaceStatus) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function sortedByName(entries: NamespaceStatus[]): NamespaceStatus[] {
  for (let i = 1; i < entries.length; i++) if (byName(entries[i - 1] as NamespaceStatus, entries[i] as NamespaceStatus) > 0) return entries.sort(byName);
  return entries;
}

/**
 * Problems first, then by name; bounded to LIMITS.statusNamespaces. Linear when
 * the entries come in name order (they do: the selection is sorted), since a
 * pass over 10,000 namespaces runs this every time.
 */
export function boundNamespaces(entries: readonly NamespaceStatus[], max: number = LIMITS.statusNamespaces): { namespaces: NamespaceStatus[]; omitted: number } {
  const problems = entries.filter((e) => e.state !== "Isolated").sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || byName(a, b));
  const room = max - problems.length;
  const isolated = room > 0 ? sortedByName(entries.filter((e) => e.state === "Isolated")).slice(0, room) : [];
  return { namespaces: [...problems.slice(0, max), ...isolated].map(boundEntry), omitted: Math.max(0, entries.length - max) };
}

/** One entry within the CRD's limits, however long the texts that reached it: cut with a count, never refused by the API server. */
function boundEntry(e: NamespaceStatus): NamespaceStatus {
  const long = (e.message?.length ?? 0) > LIMITS.message || (e.bypassedBy ?? []).length > LIMITS.bypassedBy || (e.bypassedBy ?? []).some((b) => b.length > LIMITS.bypassedText);
  if (!long) return e;
  const out: NamespaceStatus = { ...e };
  if (e.message !== undefined) out.message = bounded(e.message, LIMITS.message);
  if (e.bypassedBy !== undefined) out.bypassedBy = e.bypassedBy.slice(0, LIMITS.bypassedBy).map((b) => bounded(b, LIMITS.bypassedText));
  return out;
}

export interface ReconcileOutcome {
  generation: number;
  mode: "Enforce" | "DryRun";
  /** One entry per selected namespace (terminating ones excluded). */
  namespaces: NamespaceStatus[];
  /**
   * Namespaces no longer selected whose policy could not be deleted yet
   * (Pending or Failed, retried): listed, not counted as selected.
   */
  cleanup?: NamespaceStatus[];
  isolatedPods: number;
  /** Why nothing is selected, when nothing is. */
  emptySelectionReason?: { reason: string; message: string };
  /** How many entries status.namespaces lists (default LIMITS.statusNamespaces). */
  listed?: number | undefined;
  /** The Admin-tier kinds the verdict read beside NetworkPolicies (what the API serves); none: NetworkPolicies only. */
  adminTier?: readonly string[];
  /** What enforces the profile (controller/admin-apply.ts); none: not decided (an older caller). */
  enforcement?: EnforcementOutcome;
}

/** The enforcement part of a pass, as status reports it. */
export interface EnforcementOutcome {
  choice: EnforcementChoice;
  inPlace?: { kind: AdminKind; name: string };
  proof?: TenantProof;
  /** Namespaces where another profile's Admin-tier object is evaluated first: `proof` is not this profile's to claim there. */
  decidedElsewhere?: ReadonlySet<string>;
  notes: readonly string[];
  problem?: { reason: string; message: string };
}

/** What the profile's own Admin-tier object makes tenant-proof in `namespace`. */
export function proofIn(e: Pick<EnforcementOutcome, "proof" | "decidedElsewhere"> | undefined, namespace: string): TenantProof | undefined {
  return e?.decidedElsewhere?.has(namespace) ? undefined : e?.proof;
}

/** status.enforcement: the choice, the object in place, the data plane and its evidence, the notes (bounded). */
export function enforcementStatus(e: EnforcementOutcome): EnforcementStatus {
  const { choice } = e;
  const admin = choice.kind !== "NetworkPolicy";
  const [kind, version] = choice.kind.split("/");
  const notes = e.notes.slice(0, LIMITS.enforcementNotes).map((n) => bounded(n, LIMITS.message));
  return {
    requested: choice.requested,
    mode: admin ? "AdminTier" : "NetworkPolicy",
    ...(admin && kind && version ? { kind, apiVersion: `policy.networking.k8s.io/${version}` } : {}),
    ...(e.inPlace ? { object: e.inPlace.name } : {}),
    reason: choice.reason,
    message: bounded(choice.message, LIMITS.message),
    dataPlane: { name: bounded(choice.plane.name, 253), enforces: [...choice.plane.enforces], evidence: choice.plane.evidence, source: bounded(choice.plane.source, LIMITS.message) },
    ...(notes.length ? { notes } : {}),
  };
}

function enforcedCondition(e: EnforcementOutcome, mode: ReconcileOutcome["mode"], g: number): NewCondition {
  const base = { type: "Enforced", observedGeneration: g } as const;
  if (mode === "DryRun") return { ...base, status: "False", reason: "DryRun", message: "dry run: nothing is written, so nothing is enforced" };
  const { enforced } = e.choice;
  const object = e.inPlace ? ` (${kindOfChoice(e.choice.kind)} ${e.inPlace.name} in place)` : "";
  return { ...base, status: enforced.status, reason: enforced.reason, message: bounded(`${enforced.message}${object}`, LIMITS.message) };
}

const kindOfChoice = (kind: string) => kind.split("/")[0] ?? kind;

/** "NetworkPolicies and ClusterNetworkPolicies read", for the Isolated condition: what the verdict checked. */
function considered(kinds: readonly string[] | undefined): string {
  const all = ["NetworkPolicies", ...(kinds ?? []).map((k) => `${k.replace(/y$/, "ie")}s`)];
  return `${all.length === 1 ? all[0] ?? "" : `${all.slice(0, -1).join(", ")} and ${all[all.length - 1] ?? ""}`} read${kinds?.length ? "" : "; no Admin-tier policy API is served"}`;
}

function summarize(entries: readonly NamespaceStatus[], state: NamespaceState): string {
  return firstFew(entries.filter((e) => e.state === state).map((e) => e.name));
}

function problemCondition(type: "Ready" | "Degraded", counts: Record<NamespaceState, number>, entries: readonly NamespaceStatus[], g: number): NewCondition | undefined {
  const status = type === "Ready" ? "False" : "True";
  const progress = (message: string) => ({ type, status, observedGeneration: g, message }) as const;
  if (counts.Failed) return { ...progress(`writing failed in ${summarize(entries, "Failed")}; retrying with backoff`), reason: "ApplyFailed" };
  if (counts.Conflict) return { ...progress(`a NetworkPolicy netfence does not own has the generated name in ${summarize(entries, "Conflict")}`), reason: "Conflict" };
  if (counts.Contested) {
    return { ...progress(`another client keeps changing the generated NetworkPolicy in ${summarize(entries, "Contested")}; netfence restores it with capped backoff`), reason: "Contested" };
  }
  if (counts.Pending && type === "Ready") return { ...progress(`waiting for writes to succeed in ${summarize(entries, "Pending")}`), reason: "Pending" };
  return undefined;
}

/**
 * Isolated: True only when every selected namespace is isolated in effect —
 * its policy in place and no other NetworkPolicy admitting more.
 */
function isolatedCondition(mode: ReconcileOutcome["mode"], counts: Record<NamespaceState, number>, selected: readonly NamespaceStatus[], g: number, adminTier?: readonly string[], admin?: EnforcementOutcome): NewCondition {
  const base = { type: "Isolated", observedGeneration: g } as const;
  if (mode === "DryRun") return { ...base, status: "False", reason: "DryRun", message: "dry run: nothing is enforced" };
  if (counts.Bypassed) {
    const first = selected.find((e) => e.state === "Bypassed");
    const example = first?.bypassedBy?.[0] ? ` (${first.bypassedBy[0]})` : "";
    return { ...base, status: "False", reason: "Bypassed", message: `other policies admit more than the profile in ${summarize(selected, "Bypassed")}${example}` };
  }
  const notInPlace = selected.filter((e) => e.state !== "Isolated" && e.state !== "Contested").length;
  if (notInPlace) return { ...base, status: "False", reason: "NotInPlace", message: `${String(notInPlace)} of ${String(selected.length)} selected namespaces do not have the profile's policy in place` };
  if (counts.Contested) {
    return { ...base, status: "False", reason: "Contested", message: `the profile's policy is in place in ${summarize(selected, "Contested")}, but another client keeps changing it: netfence restores it with capped backoff, and between restores it may be missing or edited` };
  }
  const enforced = admin?.choice.enforced.status;
  const kind = kindOfChoice(admin?.choice.kind ?? "NetworkPolicy");
  const p = admin?.choice.plane;
  // The data plane is known not to enforce the kind netfence wrote: nothing is isolated. (Enforced=False for the other reason, an
  // Admin-tier kind enforced but NetworkPolicy not, keeps in-cluster isolation: the caveat below says what is open.)
  if (enforced === "False" && selected.length && p && !p.enforces.includes(kind as PolicyKind)) {
    return { ...base, status: "False", reason: "NotEnforced", message: `the profile's policies are in place in ${String(selected.length)} selected namespace${selected.length === 1 ? "" : "s"}, but the data plane ${p.name} (${p.evidence}) does not enforce ${kind}: nothing is isolated on the wire` };
  }
  const proof = admin?.proof && admin.inPlace ? `; in-cluster traffic is tenant-proof: ${kind} ${admin.inPlace.name} decides it before any NetworkPolicy` : "";
  const caveat = enforced === "Unknown" ? `; whether a data plane enforces ${kind} is unverified (see the Enforced condition)` : enforced === "False" ? "; the data plane does not enforce NetworkPolicy, so ingress from outside the cluster is not isolated (see the Enforced condition)" : "";
  return { ...base, status: "True", reason: "Isolated", message: selected.length ? `nothing beyond the profile reaches the isolated pods in ${String(selected.length)} selected namespaces (${considered(adminTier)})${proof}${caveat}` : "no namespace is selected" };
}

/** The status a reconcile pass leads to, given the previous one (for transition times). */
export function computeStatus(prev: IsolationProfileStatus | undefined, outcome: ReconcileOutcome, now: string): IsolationProfileStatus {
  const selected = outcome.namespaces;
  const entries = outcome.cleanup?.length ? [...selected, ...outcome.cleanup] : selected;
  const counts = Object.fromEntries(NAMESPACE_STATES.map((state) => [state, 0])) as Record<NamespaceState, number>;
  for (const e of entries) counts[e.state]++;
  const isolated = selected.reduce((n, e) => n + (e.state === "Isolated" ? 1 : 0), 0);
  const g = outcome.generation;
  const bypassed = counts.Bypassed ? `; ${String(counts.Bypassed)} bypassed by other NetworkPolicies` : "";
  const progress = `${String(isolated)} of ${String(selected.length)} selected namespaces isolated${bypassed}`;

  let ready: NewCondition;
  if (outcome.mode === "DryRun") {
    ready = { type: "Ready", status: "False", reason: "DryRun", message: `dry run: ${String(selected.length)} namespaces planned, nothing written`, observedGeneration: g };
  } else {
    const problem = problemCondition("Ready", counts, entries, g);
    const message = selected.length === 0 ? outcome.emptySelectionReason?.message ?? "no namespace is selected" : progress;
    ready = problem ? { ...problem, message: `${progress}; ${problem.message}` } : { type: "Ready", status: "True", reason: selected.length === 0 ? "NoNamespacesSelected" : "Reconciled", message, observedGeneration: g };
  }
  const admin = outcome.mode === "Enforce" ? outcome.enforcement : undefined;
  const adminProblem = admin?.problem ?? admin?.choice.degraded;
  if (adminProblem && ready.status === "True") ready = { type: "Ready", status: "False", reason: adminProblem.reason, message: bounded(`${progress}; ${adminProblem.message}`, LIMITS.message), observedGeneration: g };
  const degraded: NewCondition =
    problemCondition("Degraded", counts, entries, g) ??
    (adminProblem ? { type: "Degraded", status: "True", reason: adminProblem.reason, message: bounded(adminProblem.message, LIMITS.message), observedGeneration: g } : undefined) ??
    (selected.length === 0 && outcome.emptySelectionReason
      ? { type: "Degraded", status: "True", reason: outcome.emptySelectionReason.reason, message: outcome.emptySelectionReason.message, observedGeneration: g }
      : { type: "Degraded", status: "False", reason: "Reconciled", message: "no problems", observedGeneration: g });

  let conditions = setCondition(prev?.conditions ?? [], ready, now);
  conditions = setCondition(conditions, degraded, now);
  conditions = setCondition(conditions, isolatedCondition(outcome.mode, counts, selected, g, outcome.adminTier, admin), now);
  if (outcome.enforcement) conditions = setCondition(conditions, enforcedCondition(outcome.enforcement, outcome.mode, g), now);
  const listed = boundNamespaces(entries, Math.min(outcome.listed ?? LIMITS.statusNamespaces, LIMITS.statusNamespaces));
  return {
    observedGeneration: g,
    conditions,
    selectedNamespaces: selected.length,
    isolatedNamespaces: isolated,
    bypassedNamespaces: counts.Bypassed,
    isolatedPods: outcome.isolatedPods,
    namespaces: listed.namespaces,
    ...(listed.omitted ? { namespacesOmitted: listed.omitted } : {}),
    ...(outcome.enforcement ? { enforcement: enforcementStatus(outcome.enforcement) } : {}),
  };
}

/** The status for a spec the operator cannot use: nothing is applied or deleted. */
export function invalidSpecStatus(prev: IsolationProfileStatus | undefined, generation: number, message: string, now: string): IsolationProfileStatus {
  let conditions = setCondition(prev?.conditions ?? [], { type: "Ready", status: "False", reason: "InvalidSpec", message, observedGeneration: generation }, now);
  conditions = setCondition(conditions, { type: "Degraded", status: "True", reason: "InvalidSpec", message, observedGeneration: generation }, now);
  return { ...prev, observedGeneration: generation, conditions };
}

/** Why the profile's own lifecycle is stuck: its finalizer could not be written, or its policies could not be cleaned up. */
export type LifecycleReason = "FinalizerFailed" | "CleanupFailed";

/**
 * A write of the profile's own lifecycle failed (adding or removing its
 * finalizer, deleting or detaching its policies while it is deleted):
 * Ready=False and Degraded=True with the reason and a message naming the
 * operation and where it failed; everything else stays as the last pass left it.
 */
export function lifecycleFailedStatus(prev: IsolationProfileStatus | undefined, generation: number, reason: LifecycleReason, message: string, now: string): IsolationProfileStatus {
  const bounded = message.slice(0, LIMITS.message);
  let conditions = setCondition(prev?.conditions ?? [], { type: "Ready", status: "False", reason, message: bounded, observedGeneration: generation }, now);
  conditions = setCondition(conditions, { type: "Degraded", status: "True", reason, message: bounded, observedGeneration: generation }, now);
  return { ...prev, observedGeneration: generation, conditions };
}

/** Deep equality on JSON values (key order ignored): status is written only when it changed. */
export function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
