/**
 * Two profiles in the Admin tier that select the same namespace: which one
 * decides. Each profile's object ends every direction it isolates with a
 * Deny, so for a namespace both select, the object evaluated first (the lower
 * spec.priority) decides that namespace's in-cluster traffic in every
 * direction it isolates: what it passes goes on to the NetworkPolicies, what
 * it does not is denied, and the other profile's rules are never reached for
 * it. Upstream leaves two objects at one priority that select the same pods
 * undefined, so netfence never writes that: at a tie the profile created
 * first (then the name) keeps the priority, and the other writes no Admin-tier
 * object at all — its NetworkPolicies still enforce it — until its priority
 * differs. The order is global and greedy over (priority, created, name), so
 * every profile reaches the same answer from the same cache.
 */
import { firstFew } from "../lib/first-few.js";

export interface Contender {
  name: string;
  priority: number;
  /** metadata.creationTimestamp (RFC 3339; sorts as text). */
  created: string;
  /** The namespaces its Admin-tier subject covers. */
  namespaces: ReadonlySet<string>;
}

export interface Precedence {
  /** Set: this profile writes no Admin-tier object (the profile that keeps the priority, and where they meet). */
  yieldsTo?: { name: string; shared: string[] };
  /** One line per other profile it meets, saying which decides (status.enforcement.notes). */
  notes: string[];
}

const order = (a: Contender, b: Contender) => a.priority - b.priority || (a.created < b.created ? -1 : a.created > b.created ? 1 : 0) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function shared(a: Contender, b: Contender): string[] {
  const [small, large] = a.namespaces.size <= b.namespaces.size ? [a.namespaces, b.namespaces] : [b.namespaces, a.namespaces];
  const out: string[] = [];
  for (const ns of small) if (large.has(ns)) out.push(ns);
  return out.sort();
}

/** Which profiles write their object: in (priority, created, name) order, each unless one already written at its priority shares a namespace with it. */
function written(all: readonly Contender[]): Map<string, { name: string; shared: string[] } | undefined> {
  const out = new Map<string, { name: string; shared: string[] } | undefined>();
  const kept: Contender[] = [];
  for (const c of [...all].sort(order)) {
    let yields: { name: string; shared: string[] } | undefined;
    for (const k of kept) {
      if (k.priority !== c.priority) continue;
      const where = shared(k, c);
      if (where.length) {
        yields = { name: k.name, shared: where };
        break;
      }
    }
    out.set(c.name, yields);
    if (!yields) kept.push(c);
  }
  return out;
}

const where = (namespaces: readonly string[]) => `${namespaces.length === 1 ? "namespace" : "namespaces"} ${firstFew(namespaces)}`;

export function adminPrecedence(self: Contender, others: readonly Contender[]): Precedence {
  const all = [self, ...others.filter((o) => o.name !== self.name)];
  const outcome = written(all);
  const yieldsTo = outcome.get(self.name);
  const notes: string[] = [];
  for (const other of all.slice(1).sort(order)) {
    const both = shared(self, other);
    if (!both.length) continue;
    const theirs = outcome.get(other.name);
    if (theirs) {
      if (theirs.name === self.name) notes.push(`profile ${other.name} also selects ${where(both)} at the same priority ${String(self.priority)}; this profile was created first and keeps it, so ${other.name} writes no Admin-tier object until its spec.priority differs`);
      continue;
    }
    if (yieldsTo) continue;
    notes.push(
      order(other, self) < 0
        ? `profile ${other.name} (priority ${String(other.priority)}) also selects ${where(both)} and decides their in-cluster traffic first; this profile's Admin-tier rules are not reached for the directions it isolates there`
        : `profile ${other.name} (priority ${String(other.priority)}) also selects ${where(both)}; this profile decides their in-cluster traffic first`,
    );
  }
  return yieldsTo ? { yieldsTo, notes } : { notes };
}
