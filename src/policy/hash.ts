import { createHash } from "node:crypto";
import { canonicalJson, canonicalSpec } from "./canonical.js";
import type { NetworkPolicySpec } from "./k8s.js";

/**
 * A short sha256 of the canonical spec: equal specs, however written, hash
 * equal. Stored in the netfence.io/spec-hash annotation so an unchanged policy
 * is never re-applied.
 */
export function specHash(spec: NetworkPolicySpec): string {
  return shortHash(canonicalJson(canonicalSpec(spec)), 16);
}

/** The first `length` hex digits of sha256(text). */
export function shortHash(text: string, length: number): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}
