/**
 * What one profile's passes can reuse while its generation stays the same:
 * the policy rendered for each namespace, and which owned policies (at which
 * resourceVersion) were already found up to date. A pass runs for every new
 * namespace (twice: the namespace, then our own policy's echo), so rendering
 * and re-hashing every selected namespace again each time made a new
 * namespace's isolation wait on the size of the whole selection
 * (docs/benchmarks.md has the figures).
 *
 * Level-triggered still: anything that changes a policy changes its
 * resourceVersion and it is planned again in full; a new generation starts over.
 */
import type { ParsedProfile } from "../api/types.js";
import type { Namespace, NetworkPolicy } from "../k8s/objects.js";
import { planChanges, type Plan, type ProfileRef } from "../policy/plan.js";
import { renderProfile, type RenderOptions } from "../policy/render.js";

interface Entry {
  version: string;
  rendered: Map<string, NetworkPolicy>;
  /**
   * Cached policy objects found up to date → their resourceVersion then. Keyed
   * by the object, not "namespace/name": building and hashing those key
   * strings was a visible part of a large pass (CPU profile).
   */
  verified: WeakMap<NetworkPolicy, string>;
}

/** namespace → the existing policy of a desired name there, without building "namespace/name" strings. */
export function byNamespace(existing: readonly NetworkPolicy[], desired: readonly NetworkPolicy[]): Map<string, NetworkPolicy> {
  const names = new Set(desired.map((d) => d.metadata.name));
  const out = new Map<string, NetworkPolicy>();
  for (const p of existing) if (names.has(p.metadata.name)) out.set(p.metadata.namespace ?? "", p);
  return out;
}

export class PassMemo {
  private readonly profiles = new Map<string, Entry>();

  private entry(profile: string, version: string): Entry {
    let e = this.profiles.get(profile);
    if (!e || e.version !== version) this.profiles.set(profile, (e = { version, rendered: new Map(), verified: new WeakMap() }));
    return e;
  }

  /** renderProfile over `active`, rendering only namespaces not rendered before at this version. */
  render(profile: string, version: string, parsed: ParsedProfile, active: readonly Namespace[], options: RenderOptions): NetworkPolicy[] {
    const { rendered } = this.entry(profile, version);
    const missing = active.filter((ns) => !rendered.has(ns.metadata.name));
    if (missing.length) for (const p of renderProfile(parsed, missing, options)) rendered.set(p.metadata.namespace ?? "", p);
    if (rendered.size > 2 * active.length + 100) {
      const keep = new Set(active.map((ns) => ns.metadata.name));
      for (const name of rendered.keys()) if (!keep.has(name)) rendered.delete(name);
    }
    const out: NetworkPolicy[] = [];
    for (const ns of active) {
      const p = rendered.get(ns.metadata.name);
      if (p) out.push(p);
    }
    return out;
  }

  /** The policy rendered for one namespace at this version, if a pass rendered it. */
  rendered(profile: string, version: string, namespace: string): NetworkPolicy | undefined {
    const e = this.profiles.get(profile);
    return e?.version === version ? e.rendered.get(namespace) : undefined;
  }

  /** planChanges, with existing policies already verified at their current resourceVersion taken as unchanged. */
  plan(key: string, profile: ProfileRef, version: string, desired: readonly NetworkPolicy[], existing: readonly NetworkPolicy[], wasInPlace?: (namespace: string) => boolean, lastWritten?: (namespace: string) => string | undefined): Plan {
    const entry = this.entry(key, version);
    const at = byNamespace(existing, desired);
    const settled = new Set<NetworkPolicy>();
    const rest: NetworkPolicy[] = [];
    for (const d of desired) {
      const current = at.get(d.metadata.namespace ?? "");
      if (current && current.metadata.name === d.metadata.name && entry.verified.get(current) === current.metadata.resourceVersion) settled.add(current);
      else rest.push(d);
    }
    const plan = planChanges(profile, rest, settled.size ? existing.filter((p) => !settled.has(p)) : existing, wasInPlace, lastWritten);
    for (const p of plan.unchanged) entry.verified.set(p, p.metadata.resourceVersion ?? "");
    plan.unchanged.push(...settled);
    return plan;
  }

  forget(profile: string): void {
    this.profiles.delete(profile);
  }
}
