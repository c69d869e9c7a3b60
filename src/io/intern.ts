/**
 * Sharing of immutable JSON: objects many others hold equal copies of (the
 * spec netfence puts in every namespace, the labels of a ReplicaSet's pods)
 * are kept once, frozen so that a mutation anywhere fails loudly.
 */
import { deepFreeze } from "../lib/freeze.js";
import { canonicalJson } from "../policy/canonical.js";

/**
 * Hash-consing of JSON values: a structurally equal value (key order aside)
 * comes back as the one copy seen first, frozen. The table forgets everything
 * when it reaches `maxEntries`, so values nobody holds any more cannot pile up.
 */
export class JsonInterner {
  private readonly table = new Map<string, unknown>();

  constructor(private readonly maxEntries = 10_000) {}

  intern<V>(value: V): V {
    if (typeof value !== "object" || value === null) return value;
    const key = canonicalJson(value);
    const known = this.table.get(key);
    if (known !== undefined) return known as V;
    if (this.table.size >= this.maxEntries) this.table.clear();
    this.table.set(key, deepFreeze(value));
    return value;
  }

  get size(): number {
    return this.table.size;
  }
}
