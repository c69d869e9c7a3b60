import { createHash } from "node:crypto";
import { canonicalJson, canonicalSpec } from "./canonical.js";
import type { NetworkPolicySpec } from "../k8s/objects.js";

/**
 * A short sha256 of the canonical spec: equal specs, however written, hash
 * equal. Stored in the netfence.io/spec-hash annotation so an unchanged policy
 * is never re-applied.
 */
export function specHash(spec: NetworkPolicySpec): string {
  const known = frozenHashes.get(spec);
  if (known !== undefined) return known;
  const hash = shortHash(canonicalJson(canonicalSpec(spec)), 16);
  // A frozen spec cannot change: the rendered one, and the cached copies the informer shares.
  if (Object.isFrozen(spec)) frozenHashes.set(spec, hash);
  return hash;
}

/** Hashes of frozen specs, by object: a plan over 10,000 cached policies sharing one spec hashes it once. */
const frozenHashes = new WeakMap<NetworkPolicySpec, string>();

/** The first `length` hex digits of sha256(text). */
export function shortHash(text: string, length: number): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}
