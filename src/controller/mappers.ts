/**
 * Mappers turn a change of a namespace, a pod or a NetworkPolicy into
 * the profile names it affects. They only compute keys: the reconcile decides
 * what to do, from the caches, whatever the event was.
 */
import { GROUP, KIND, LABEL_PROFILE } from "../api/constants.js";
import { parseProfile } from "../api/parse.js";
import type { IsolationProfile, ParsedProfile } from "../api/types.js";
import type { Labels, Namespace, NetworkPolicy, Pod } from "../k8s/objects.js";
import { isNamespaceSelected } from "../policy/namespaces.js";
import type { ReadCache } from "./ports.js";

export class ProfileIndex {
  /** Parsed specs, keyed by name and reused while the resourceVersion is unchanged. */
  private readonly parsed = new Map<string, { resourceVersion: string | undefined; value: ParsedProfile | undefined }>();

  constructor(
    private readonly profiles: ReadCache<IsolationProfile>,
    private readonly operatorNamespace: string | undefined,
  ) {}

  private spec(profile: IsolationProfile): ParsedProfile | undefined {
    const name = profile.metadata.name;
    const cached = this.parsed.get(name);
    if (cached && cached.resourceVersion === profile.metadata.resourceVersion) return cached.value;
    const result = parseProfile(profile);
    const value = result.ok ? result.value : undefined;
    this.parsed.set(name, { resourceVersion: profile.metadata.resourceVersion, value });
    return value;
  }

  /** Profiles whose selection contains any of the given namespace versions (old and new labels). */
  profilesSelecting(...versions: (Namespace | undefined)[]): string[] {
    const out: string[] = [];
    for (const profile of this.profiles.list()) {
      const parsed = this.spec(profile);
      // An unparseable profile is reconciled on its own events; it selects nothing.
      if (!parsed) continue;
      if (versions.some((ns) => ns && isNamespaceSelected(parsed.spec, ns, { operatorNamespace: this.operatorNamespace }))) out.push(profile.metadata.name);
    }
    return out;
  }

  forget(name: string): void {
    this.parsed.delete(name);
  }
}

function sameLabels(a: Labels | undefined, b: Labels | undefined): boolean {
  const ak = Object.keys(a ?? {});
  return ak.length === Object.keys(b ?? {}).length && ak.every((k) => a?.[k] === b?.[k]);
}

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  return (a ?? []).length === (b ?? []).length && (a ?? []).every((x, i) => x === b?.[i]);
}

/**
 * A profile updated: itself, unless only its status moved (netfence's own
 * status write coming back). Spec changes move the generation; labels,
 * annotations, finalizers and deletion are read too.
 */
export function profileKeys(profile: IsolationProfile, old?: IsolationProfile): string[] {
  const m = profile.metadata;
  if (!old) return [m.name];
  const o = old.metadata;
  const same =
    m.generation === o.generation &&
    Boolean(m.deletionTimestamp) === Boolean(o.deletionTimestamp) &&
    sameLabels(m.labels, o.labels) &&
    sameLabels(m.annotations, o.annotations) &&
    sameList(m.finalizers, o.finalizers);
  return same ? [] : [m.name];
}

/** A namespace added, deleted, or relabelled: every profile selecting its old or new version. */
export function namespaceKeys(index: ProfileIndex, ns: Namespace, old?: Namespace): string[] {
  if (old && sameLabels(old.metadata.labels, ns.metadata.labels) && Boolean(old.metadata.deletionTimestamp) === Boolean(ns.metadata.deletionTimestamp)) return [];
  return index.profilesSelecting(ns, old);
}

/** A pod whose labels matter (added, deleted, relabelled): profiles selecting its namespace (pod counts). */
export function podKeys(index: ProfileIndex, namespaces: ReadCache<Namespace>, pod: Pod, old?: Pod): string[] {
  if (old && sameLabels(old.metadata.labels, pod.metadata.labels)) return [];
  const ns = namespaces.get(pod.metadata.namespace ?? "");
  return ns ? index.profilesSelecting(ns) : [];
}

/** The profile a managed policy belongs to: its owner reference (full name), else its label. */
function owningProfile(policy: NetworkPolicy | undefined): string | undefined {
  if (!policy) return undefined;
  const owner = policy.metadata.ownerReferences?.find((o) => o.kind === KIND && o.apiVersion.startsWith(`${GROUP}/`));
  return owner?.name ?? policy.metadata.labels?.[LABEL_PROFILE];
}

/**
 * A NetworkPolicy changed or vanished: the profile it belongs to (old and new
 * versions) needs a full pass; every other profile selecting its namespace
 * only needs that namespace judged again (any policy there can bypass them,
 * or stop doing so).
 */
export function policyKeys(index: ProfileIndex, namespaces: ReadCache<Namespace>, policy: NetworkPolicy, old?: NetworkPolicy): { owners: string[]; rejudge: string[] } {
  const owners = [...new Set([owningProfile(policy), owningProfile(old)])].filter((n): n is string => typeof n === "string" && n.length > 0);
  const ns = namespaces.get(policy.metadata.namespace ?? "");
  const rejudge = ns ? index.profilesSelecting(ns).filter((name) => !owners.includes(name)) : [];
  return { owners, rejudge };
}
