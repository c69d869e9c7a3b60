/**
 * What each profile's previous pass left, per namespace: whether its policy
 * was in place, and the namespace's state — the complete list behind
 * status.namespaces (which keeps at most 100). A desired policy that is
 * missing now but was in place then was deleted by someone else (drift); one
 * that was not (a new namespace, a namespace selected again after netfence
 * deleted its policy) is simply created. A state that differs from the
 * previous one is a transition (the Bypassed / BypassCleared events).
 *
 * Keyed by namespace uid as well as name, so a namespace deleted and created
 * again under the same name starts afresh. After a restart the ledger is
 * empty and the profile's written status stands in for it.
 */
import type { IsolationProfile, NamespaceState, NamespaceStatus } from "../api/types.js";
import type { Namespace } from "../k8s/objects.js";

const IN_PLACE: ReadonlySet<NamespaceState> = new Set(["Isolated", "Contested", "Bypassed"]);

export interface PreviousPass {
  /** The profile's policy was in place in this namespace after the previous pass. */
  wasInPlace: (namespace: string) => boolean;
  /** The namespace's state after the previous pass, if known. */
  state: (namespace: string) => NamespaceState | undefined;
}

interface Seen {
  uid: string;
  state: NamespaceState;
}

export class InPlaceLedger {
  /** profile uid → namespace name → what the previous pass left there. */
  private readonly byProfile = new Map<string, Map<string, Seen>>();

  previous(profile: IsolationProfile, namespaces: ReadonlyMap<string, Namespace>): PreviousPass {
    const known = this.byProfile.get(profile.metadata.uid ?? "");
    if (known) {
      const seen = (name: string): Seen | undefined => {
        const s = known.get(name);
        return s && (s.uid === "" || s.uid === (namespaces.get(name)?.metadata.uid ?? "")) ? s : undefined;
      };
      return { wasInPlace: (name) => IN_PLACE.has(seen(name)?.state ?? "Pending"), state: (name) => seen(name)?.state };
    }
    const written = new Map((profile.status?.namespaces ?? []).map((e) => [e.name, e.state]));
    return { wasInPlace: (name) => IN_PLACE.has(written.get(name) ?? "Pending"), state: (name) => written.get(name) };
  }

  /** What this pass left (its status entries). */
  record(profile: IsolationProfile, entries: Iterable<NamespaceStatus>, namespaces: ReadonlyMap<string, Namespace>): void {
    const seen = new Map<string, Seen>();
    for (const e of entries) seen.set(e.name, { uid: namespaces.get(e.name)?.metadata.uid ?? "", state: e.state });
    this.byProfile.set(profile.metadata.uid ?? "", seen);
  }

  forget(profileUid: string): void {
    this.byProfile.delete(profileUid);
  }
}
