/**
 * The cluster's Admin-tier policies as the verdict reads them: every
 * ClusterNetworkPolicy and AdminNetworkPolicy the informers hold, parsed once
 * per object version (the informer replaces an object when it changes, so
 * identity is the version). BaselineAdminNetworkPolicy is not watched: the
 * Baseline tier never decides for a pod a NetworkPolicy selects, and the
 * profile's own policy selects every pod it isolates.
 */
import { parseTierPolicy, type TierPolicy } from "../policy/tiers-parse.js";
import type { AdminTierLive, ReadCache } from "./ports.js";

export interface AdminTierView {
  /** The kinds read, for the status ("NetworkPolicy, ClusterNetworkPolicy"). */
  kinds: readonly string[];
  /** Every readable-or-not tier policy now, in a stable order (by kind, then name). */
  policies(): readonly TierPolicy[];
  /** The cached object of this kind and name, as the informer holds it. */
  live(kind: string, name: string): AdminTierLive | undefined;
}

/** A view over one cache per served kind; objects without kind/apiVersion get those of their cache. */
export function adminTierView(caches: readonly { kind: string; apiVersion: string; cache: ReadCache<object> }[]): AdminTierView {
  const parsed = new WeakMap<object, TierPolicy | undefined>();
  let last: { inputs: object[]; out: TierPolicy[] } = { inputs: [], out: [] };
  return {
    kinds: caches.map((c) => c.kind),
    live: (kind, name) => caches.find((c) => c.kind === kind)?.cache.get(name) as AdminTierLive | undefined,
    policies() {
      const inputs: object[] = caches.flatMap((c) => [...c.cache.list()]);
      // The same objects as last time: the same array, so the verdict memo sees nothing changed.
      if (inputs.length === last.inputs.length && inputs.every((o, i) => o === last.inputs[i])) return last.out;
      const out: TierPolicy[] = [];
      for (const c of caches) {
        for (const obj of c.cache.list()) {
          if (!parsed.has(obj)) parsed.set(obj, parseTierPolicy({ apiVersion: c.apiVersion, kind: c.kind, ...obj }));
          const policy = parsed.get(obj);
          if (policy) out.push(policy);
        }
      }
      out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      last = { inputs, out };
      return out;
    },
  };
}
