/**
 * Where each profile's policy was in place at the end of its previous pass:
 * the complete list behind status.namespaces (which keeps at most 100). A
 * desired policy that is missing now but was in place then was deleted by
 * someone else — drift; one that was not (a new namespace, a namespace
 * selected again after netfence deleted its policy) is simply created.
 *
 * Keyed by namespace uid as well as name, so a namespace deleted and created
 * again under the same name starts afresh. After a restart the ledger is
 * empty and the profile's written status stands in for it.
 */
import type { IsolationProfile, NamespaceStatus } from "../api/types.js";
import type { Namespace } from "../policy/k8s.js";

const IN_PLACE: ReadonlySet<NamespaceStatus["state"]> = new Set(["Isolated", "Contested"]);

export class InPlaceLedger {
  /** profile uid → namespace name → namespace uid ("" when unknown). */
  private readonly byProfile = new Map<string, Map<string, string>>();

  /** A predicate over the namespaces of this pass: was the policy in place there after the previous pass? */
  previous(profile: IsolationProfile, namespaces: ReadonlyMap<string, Namespace>): (namespace: string) => boolean {
    const known = this.byProfile.get(profile.metadata.uid ?? "");
    if (known) {
      return (name) => {
        const uid = known.get(name);
        return uid !== undefined && (uid === "" || uid === (namespaces.get(name)?.metadata.uid ?? ""));
      };
    }
    const written = new Set((profile.status?.namespaces ?? []).filter((e) => IN_PLACE.has(e.state)).map((e) => e.name));
    return (name) => written.has(name);
  }

  /** What this pass left in place (its status entries). */
  record(profile: IsolationProfile, entries: Iterable<NamespaceStatus>, namespaces: ReadonlyMap<string, Namespace>): void {
    const inPlace = new Map<string, string>();
    for (const e of entries) if (IN_PLACE.has(e.state)) inPlace.set(e.name, namespaces.get(e.name)?.metadata.uid ?? "");
    this.byProfile.set(profile.metadata.uid ?? "", inPlace);
  }

  forget(profileUid: string): void {
    this.byProfile.delete(profileUid);
  }
}
