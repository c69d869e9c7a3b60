/**
 * What each profile's previous pass left, per namespace: its status entry
 * (the complete list behind status.namespaces, which lists at most
 * --status-namespaces, problems first), and the status netfence last wrote.
 *
 * - A desired policy that is missing now but was in place then was deleted by
 *   someone else (drift); one that was not (a new namespace, a namespace
 *   selected again after netfence deleted its policy) is simply created.
 * - A state that differs from the previous one is a transition (the Bypassed /
 *   BypassCleared events).
 * - A clean pass (nothing failed, held back or left to clean up) of the
 *   current generation lets a change of another NetworkPolicy re-judge its
 *   own namespace only, starting from these entries.
 *
 * Keyed by namespace uid as well as name, so a namespace deleted and created
 * again under the same name starts afresh. After a restart (or a leader
 * handover) the ledger is empty and the profile's written status stands in
 * for it: exact for the namespaces it lists (at most --status-namespaces);
 * for the others it knows only whether any of them was Bypassed
 * (bypassedNamespaces counts more than the list shows), and a policy deleted
 * meanwhile in one of them is re-created as a plain create, not as drift.
 */
import type { IsolationProfile, IsolationProfileStatus, NamespaceState, NamespaceStatus } from "../api/types.js";
import type { Namespace } from "../k8s/objects.js";
import type { EnforcementOutcome } from "../policy/status.js";
import { memoryKey } from "./deps.js";

const IN_PLACE: ReadonlySet<NamespaceState> = new Set(["Isolated", "Contested", "Bypassed"]);

export interface PreviousPass {
  /** The profile's policy was in place in this namespace after the previous pass. */
  wasInPlace: (namespace: string) => boolean;
  /** The namespace's state after the previous pass, if known. */
  state: (namespace: string) => NamespaceState | undefined;
  /**
   * Its state is not known and it may have been Bypassed: the written status
   * (after a restart) did not list it and counted more bypassed namespaces
   * than it listed. A Bypassed verdict now may be no transition.
   */
  maybeBypassed: (namespace: string) => boolean;
}

/** What a pass left for one profile. */
export interface LastPass {
  /** namespace → its entry; updated in place by a pass that re-judges some namespaces. */
  entries: Map<string, NamespaceStatus>;
  /** namespace → its uid then. */
  uids: ReadonlyMap<string, string>;
  isolatedPods: number;
  /** `uid/generation` of the profile, when the pass was clean (every selected namespace judged, nothing to retry). */
  cleanAt?: string;
  /** What enforced the profile in that pass (the tenant-proof part re-judging starts from). */
  enforcement?: EnforcementOutcome;
}

/** The previous pass as the written status tells it: what it lists, and whether unlisted namespaces could have been Bypassed. */
export function fromWrittenStatus(status: IsolationProfileStatus | undefined): PreviousPass {
  const listed = status?.namespaces ?? [];
  const written = new Map(listed.map((e) => [e.name, e.state]));
  const listedBypassed = listed.reduce((n, e) => n + (e.state === "Bypassed" ? 1 : 0), 0);
  const unlistedBypassed = (status?.bypassedNamespaces ?? 0) > listedBypassed;
  return {
    wasInPlace: (name) => IN_PLACE.has(written.get(name) ?? "Pending"),
    state: (name) => written.get(name),
    maybeBypassed: (name) => unlistedBypassed && !written.has(name),
  };
}

/** The slot of the profile's cluster-scoped Admin-tier object among its per-namespace versions (no namespace is named "/"). */
export const CLUSTER_SCOPED = "/";

export class InPlaceLedger {
  /** memoryKey (the profile's uid) → what its previous pass left. */
  private readonly byProfile = new Map<string, LastPass>();
  /** memoryKey → the status netfence wrote last (the cache may not show it yet). */
  private readonly written = new Map<string, IsolationProfileStatus>();
  /** memoryKey → namespace → the resourceVersion of the profile's policy as netfence last wrote it or found it up to date. */
  private readonly versions = new Map<string, Map<string, string>>();

  /**
   * The version of the profile's policy in `namespace` netfence last wrote or
   * found up to date: what drift is decided from (a copyable stamp is not).
   */
  lastWritten(profile: IsolationProfile, namespace: string): string | undefined {
    return this.versions.get(memoryKey(profile))?.get(namespace);
  }

  /** netfence wrote (or verified) the policy in `namespace` at `resourceVersion`; undefined: not known, forget it. */
  wroteVersion(profile: IsolationProfile, namespace: string, resourceVersion: string | undefined): void {
    const key = memoryKey(profile);
    let byNamespace = this.versions.get(key);
    if (!byNamespace) this.versions.set(key, (byNamespace = new Map<string, string>()));
    if (resourceVersion === undefined) byNamespace.delete(namespace);
    else byNamespace.set(namespace, resourceVersion);
  }

  /** Drops the versions of namespaces the profile no longer has a policy in. */
  pruneVersions(profile: IsolationProfile, keep: { has(namespace: string): boolean }): void {
    const byNamespace = this.versions.get(memoryKey(profile));
    if (byNamespace) for (const ns of byNamespace.keys()) if (ns !== CLUSTER_SCOPED && !keep.has(ns)) byNamespace.delete(ns);
  }

  previous(profile: IsolationProfile, namespaces: ReadonlyMap<string, Namespace>): PreviousPass {
    const known = this.byProfile.get(memoryKey(profile));
    if (known) {
      const seen = (name: string): NamespaceStatus | undefined => {
        const uid = known.uids.get(name) ?? "";
        return uid === "" || uid === (namespaces.get(name)?.metadata.uid ?? "") ? known.entries.get(name) : undefined;
      };
      return { wasInPlace: (name) => IN_PLACE.has(seen(name)?.state ?? "Pending"), state: (name) => seen(name)?.state, maybeBypassed: () => false };
    }
    return fromWrittenStatus(profile.status);
  }

  /**
   * What this pass left: its status entries (kept, not copied). `cleanAt` when
   * the pass completed with nothing to retry, at this profile version.
   */
  record(profile: IsolationProfile, entries: Map<string, NamespaceStatus>, namespaces: ReadonlyMap<string, Namespace>, isolatedPods: number, cleanAt?: string, enforcement?: EnforcementOutcome): void {
    const uids = new Map<string, string>();
    for (const name of entries.keys()) uids.set(name, namespaces.get(name)?.metadata.uid ?? "");
    this.byProfile.set(memoryKey(profile), { entries, uids, isolatedPods, ...(cleanAt === undefined ? {} : { cleanAt }), ...(enforcement ? { enforcement } : {}) });
  }

  /** The previous pass, if it was clean and ran for this version of the profile. */
  cleanPass(profile: IsolationProfile, version: string): LastPass | undefined {
    const pass = this.byProfile.get(memoryKey(profile));
    return pass?.cleanAt === version ? pass : undefined;
  }

  /** A partial pass could not finish: the next one must be a full pass. */
  dirty(profile: IsolationProfile): void {
    const pass = this.byProfile.get(memoryKey(profile));
    if (pass) delete pass.cleanAt;
  }

  lastStatus(profile: IsolationProfile): IsolationProfileStatus | undefined {
    return this.written.get(memoryKey(profile));
  }

  wrote(profile: IsolationProfile, status: IsolationProfileStatus): void {
    this.written.set(memoryKey(profile), status);
  }

  forget(key: string): void {
    this.byProfile.delete(key);
    this.written.delete(key);
    this.versions.delete(key);
  }
}
