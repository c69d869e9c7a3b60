import { canonicalJson } from "./canonical.js";
import type { Condition, IsolationProfileStatus, NamespaceState, NamespaceStatus } from "../api/types.js";

/** The bound on status.namespaces (problems first); the rest is counted in namespacesOmitted. */
export const MAX_NAMESPACE_ENTRIES = 100;

export type NewCondition = Omit<Condition, "lastTransitionTime">;

/** Conditions keep their transition time unless the status flips. */
export function setCondition(list: readonly Condition[], next: NewCondition, now: string): Condition[] {
  const prev = list.find((c) => c.type === next.type);
  const lastTransitionTime = prev?.status === next.status ? prev.lastTransitionTime : now;
  return [...list.filter((c) => c.type !== next.type), { ...next, lastTransitionTime }].sort((a, b) => a.type.localeCompare(b.type));
}

const STATE_ORDER: Record<NamespaceState, number> = { Failed: 0, Conflict: 1, Pending: 2, DryRun: 3, Isolated: 4 };

const byName = (a: NamespaceStatus, b: NamespaceStatus) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function sortedByName(entries: NamespaceStatus[]): NamespaceStatus[] {
  for (let i = 1; i < entries.length; i++) if (byName(entries[i - 1] as NamespaceStatus, entries[i] as NamespaceStatus) > 0) return entries.sort(byName);
  return entries;
}

/**
 * Problems first, then by name; bounded to MAX_NAMESPACE_ENTRIES. Linear when
 * the entries come in name order (they do: the selection is sorted), since a
 * pass over 10,000 namespaces runs this every time.
 */
export function boundNamespaces(entries: readonly NamespaceStatus[], max = MAX_NAMESPACE_ENTRIES): { namespaces: NamespaceStatus[]; omitted: number } {
  const problems = entries.filter((e) => e.state !== "Isolated").sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || byName(a, b));
  const room = max - problems.length;
  const isolated = room > 0 ? sortedByName(entries.filter((e) => e.state === "Isolated")).slice(0, room) : [];
  return { namespaces: [...problems.slice(0, max), ...isolated], omitted: Math.max(0, entries.length - max) };
}

export interface ReconcileOutcome {
  generation: number;
  mode: "Enforce" | "DryRun";
  /** One entry per selected namespace (terminating ones excluded). */
  namespaces: NamespaceStatus[];
  isolatedPods: number;
  /** Why nothing is selected, when nothing is. */
  emptySelectionReason?: { reason: string; message: string };
}

function summarize(entries: readonly NamespaceStatus[], state: NamespaceState): string {
  const names = entries.filter((e) => e.state === state).map((e) => e.name);
  const shown = names.slice(0, 5).join(", ");
  return names.length > 5 ? `${shown} and ${String(names.length - 5)} more` : shown;
}

/** The status a reconcile pass leads to, given the previous one (for transition times). */
export function computeStatus(prev: IsolationProfileStatus | undefined, outcome: ReconcileOutcome, now: string): IsolationProfileStatus {
  const entries = outcome.namespaces;
  const counts: Record<NamespaceState, number> = { Failed: 0, Conflict: 0, Pending: 0, DryRun: 0, Isolated: 0 };
  for (const e of entries) counts[e.state]++;
  const { Failed: failed, Conflict: conflicts, Pending: pending, Isolated: isolated } = counts;
  const g = outcome.generation;

  let ready: NewCondition;
  let degraded: NewCondition;
  if (outcome.mode === "DryRun") {
    ready = { type: "Ready", status: "False", reason: "DryRun", message: `dry run: ${String(entries.length)} namespaces planned, nothing written`, observedGeneration: g };
  } else if (failed + conflicts + pending === 0) {
    const message = entries.length === 0 ? outcome.emptySelectionReason?.message ?? "no namespace is selected" : `${String(isolated)} of ${String(entries.length)} selected namespaces isolated`;
    ready = { type: "Ready", status: "True", reason: entries.length === 0 ? "NoNamespacesSelected" : "Reconciled", message, observedGeneration: g };
  } else {
    const reason = failed ? "ApplyFailed" : conflicts ? "Conflict" : "Pending";
    ready = { type: "Ready", status: "False", reason, message: `${String(isolated)} of ${String(entries.length)} selected namespaces isolated`, observedGeneration: g };
  }
  if (failed) {
    degraded = { type: "Degraded", status: "True", reason: "ApplyFailed", message: `applying failed in ${summarize(entries, "Failed")}`, observedGeneration: g };
  } else if (conflicts) {
    degraded = { type: "Degraded", status: "True", reason: "Conflict", message: `a NetworkPolicy netfence does not own has the generated name in ${summarize(entries, "Conflict")}`, observedGeneration: g };
  } else if (entries.length === 0 && outcome.emptySelectionReason) {
    degraded = { type: "Degraded", status: "True", reason: outcome.emptySelectionReason.reason, message: outcome.emptySelectionReason.message, observedGeneration: g };
  } else {
    degraded = { type: "Degraded", status: "False", reason: "Reconciled", message: "no problems", observedGeneration: g };
  }

  let conditions = setCondition(prev?.conditions ?? [], ready, now);
  conditions = setCondition(conditions, degraded, now);
  const bounded = boundNamespaces(entries);
  return {
    observedGeneration: g,
    conditions,
    selectedNamespaces: entries.length,
    isolatedNamespaces: isolated,
    isolatedPods: outcome.isolatedPods,
    namespaces: bounded.namespaces,
    ...(bounded.omitted ? { namespacesOmitted: bounded.omitted } : {}),
  };
}

/** The status for a spec the operator cannot use: nothing is applied or deleted. */
export function invalidSpecStatus(prev: IsolationProfileStatus | undefined, generation: number, message: string, now: string): IsolationProfileStatus {
  let conditions = setCondition(prev?.conditions ?? [], { type: "Ready", status: "False", reason: "InvalidSpec", message, observedGeneration: generation }, now);
  conditions = setCondition(conditions, { type: "Degraded", status: "True", reason: "InvalidSpec", message, observedGeneration: generation }, now);
  return { ...prev, observedGeneration: generation, conditions };
}

/** Deep equality on JSON values (key order ignored): status is written only when it changed. */
export function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
