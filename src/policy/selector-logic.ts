/**
 * Label selectors as logic: satisfiability of a conjunction, implication, and
 * a witness (a concrete label set) inside one selector and outside others.
 *
 * Exact for one label set: per key, In/NotIn/Exists/DoesNotExist and
 * matchLabels combine into "absent", "present with a value in S minus N" or
 * "absent or a value not in N". Values are drawn from an unbounded set, so a
 * key that must exist with a value outside a finite NotIn list always can.
 * Pure; no Kubernetes objects beyond LabelSelector.
 */
import type { LabelSelector, SelectorOperator } from "../k8s/objects.js";

export interface Requirement {
  key: string;
  operator: SelectorOperator;
  values: readonly string[];
}

/** A selector's requirements (matchLabels k=v becomes `k In (v)`). An undefined selector has none here: test it first. */
export function requirementsOf(selector: LabelSelector): Requirement[] {
  const out: Requirement[] = [];
  for (const key in selector.matchLabels ?? {}) out.push({ key, operator: "In", values: [selector.matchLabels?.[key] ?? ""] });
  for (const r of selector.matchExpressions ?? []) out.push({ key: r.key, operator: r.operator, values: r.values ?? [] });
  return out;
}

const OPPOSITE: Record<SelectorOperator, SelectorOperator> = { In: "NotIn", NotIn: "In", Exists: "DoesNotExist", DoesNotExist: "Exists" };

/** The label sets a requirement does not match (NotIn matches an absent key, so In's opposite is NotIn). */
export function negate(r: Requirement): Requirement {
  return { key: r.key, operator: OPPOSITE[r.operator], values: r.values };
}

interface KeyState {
  /** Allowed values when the key must be present with a value from a list. */
  oneOf?: readonly string[];
  notIn: readonly string[];
  exists: boolean;
  absent: boolean;
}

const FREE: KeyState = { notIn: [], exists: false, absent: false };

function keySatisfiable(s: KeyState): boolean {
  if (s.absent && (s.exists || s.oneOf !== undefined)) return false;
  return s.oneOf === undefined || s.oneOf.some((v) => !s.notIn.includes(v));
}

// Plain arrays, not Sets: selectors hold a handful of values and this runs per peer and piece.
function restrict(s: KeyState, r: Requirement): KeyState {
  switch (r.operator) {
    case "In":
      return { ...s, oneOf: s.oneOf === undefined ? r.values : r.values.filter((v) => s.oneOf?.includes(v)), exists: true };
    case "NotIn":
      return { ...s, notIn: s.notIn.length === 0 ? r.values : [...s.notIn, ...r.values] };
    case "Exists":
      return { ...s, exists: true };
    case "DoesNotExist":
      return { ...s, absent: true };
  }
}

/** A value outside `notIn` ("x", "x-1", …). */
function freshValue(notIn: readonly string[]): string {
  if (!notIn.includes("x")) return "x";
  for (let i = 1; ; i++) if (!notIn.includes(`x-${i}`)) return `x-${i}`;
}

/**
 * A conjunction of requirements on one label set (a pod's or a namespace's).
 * Immutable: `and` returns a new conjunction, or undefined when it can match
 * no label set at all.
 */
export class Conjunction {
  static readonly TRUE = new Conjunction(new Map());

  private constructor(private readonly keys: ReadonlyMap<string, KeyState>) {}

  /** The conjunction of the requirements, or undefined when unsatisfiable. */
  static of(requirements: readonly Requirement[]): Conjunction | undefined {
    return Conjunction.TRUE.andAll(requirements);
  }

  and(r: Requirement): Conjunction | undefined {
    return this.andAll([r]);
  }

  andAll(requirements: readonly Requirement[]): Conjunction | undefined {
    const keys = this.restricted(requirements);
    return keys === undefined ? undefined : new Conjunction(keys);
  }

  /** The per-key states after the requirements (one Map for all of them), or undefined when unsatisfiable. */
  private restricted(requirements: readonly Requirement[]): Map<string, KeyState> | undefined {
    const keys = new Map(this.keys);
    for (const r of requirements) {
      const next = restrict(keys.get(r.key) ?? FREE, r);
      if (!keySatisfiable(next)) return undefined;
      keys.set(r.key, next);
    }
    return keys;
  }

  /** True when every label set this matches also meets every requirement (this ⊆ them). */
  implies(requirements: readonly Requirement[]): boolean {
    return requirements.every((r) => this.and(negate(r)) === undefined);
  }

  /** True when some label set meets this and all the requirements. */
  overlaps(requirements: readonly Requirement[]): boolean {
    return requirements.length === 0 || this.restricted(requirements) !== undefined;
  }

  /** One label set this matches: only the keys it needs. */
  example(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, s] of [...this.keys.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (s.absent) continue;
      if (s.oneOf !== undefined) {
        const v = [...s.oneOf].sort().find((x) => !s.notIn.includes(x));
        if (v !== undefined) out[key] = v;
      } else if (s.exists) out[key] = freshValue(s.notIn);
    }
    return out;
  }
}

/** A set of pods by two label sets: the namespace's and the pod's. */
export interface PodSpace {
  namespace: Conjunction;
  pod: Conjunction;
}

/** Pods matching both a namespace selector and a pod selector, as requirements. */
export interface PodPeer {
  namespace: readonly Requirement[];
  pod: readonly Requirement[];
}

export type WitnessSearch = { found: true; space: PodSpace } | { found: false; exhausted: boolean };

/**
 * A pod inside `space` and outside every one of `others`: exact (a depth-first
 * search choosing, per overlapping other, one of its requirements to break),
 * within `budget` steps. `{ found: false, exhausted: true }` means the others
 * together cover the space; `exhausted: false` that the budget ran out first.
 */
export function findWitness(space: PodSpace, others: readonly PodPeer[], budget: number): WitnessSearch {
  let steps = 0;
  const search = (at: PodSpace, i: number): PodSpace | undefined | "budget" => {
    if (++steps > budget) return "budget";
    const other = others[i];
    if (other === undefined) return at;
    if (!at.namespace.overlaps(other.namespace) || !at.pod.overlaps(other.pod)) return search(at, i + 1);
    for (const r of other.namespace) {
      const namespace = at.namespace.and(negate(r));
      if (namespace === undefined) continue;
      const found = search({ namespace, pod: at.pod }, i + 1);
      if (found !== undefined) return found;
    }
    for (const r of other.pod) {
      const pod = at.pod.and(negate(r));
      if (pod === undefined) continue;
      const found = search({ namespace: at.namespace, pod }, i + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  const result = search(space, 0);
  if (result === "budget") return { found: false, exhausted: false };
  return result === undefined ? { found: false, exhausted: true } : { found: true, space: result };
}
