/**
 * The cluster as it will be once files are applied to it, as `netfence diff
 * --live -f` compares it: an object of the files replaces the live object of the
 * same kind, namespace and name; the rest are added. An IsolationProfile in the
 * files replaces every live NetworkPolicy netfence generated for a profile of
 * that name (the operator would rewrite or purge them); its own policies are
 * rendered from the file. Pure.
 */
import { LABEL_MANAGED_BY, LABEL_PROFILE, MANAGED_BY_VALUE } from "../api/constants.js";
import { isRecord } from "../lib/is-record.js";
import type { LooseObject } from "./reach-input.js";

function meta(obj: LooseObject): { name: string; namespace: string | undefined; labels: Record<string, unknown> } {
  const m = isRecord(obj.metadata) ? obj.metadata : {};
  return {
    name: typeof m.name === "string" ? m.name : "",
    namespace: typeof m.namespace === "string" ? m.namespace : undefined,
    labels: isRecord(m.labels) ? m.labels : {},
  };
}

const CLUSTER_SCOPED = new Set(["Namespace", "IsolationProfile"]);

/** kind/namespace/name, namespaced objects without a namespace in "default" (as kubectl apply puts them). */
function identity(obj: LooseObject): string {
  const kind = typeof obj.kind === "string" ? obj.kind : "";
  const m = meta(obj);
  return `${kind}/${CLUSTER_SCOPED.has(kind) ? "" : (m.namespace ?? "default")}/${m.name}`;
}

/** The profile a live NetworkPolicy was generated for, by netfence's labels. */
function generatedFor(obj: LooseObject): string | undefined {
  if (obj.kind !== "NetworkPolicy") return undefined;
  const { labels } = meta(obj);
  const profile = labels[LABEL_PROFILE];
  return labels[LABEL_MANAGED_BY] === MANAGED_BY_VALUE && typeof profile === "string" ? profile : undefined;
}

export function overlay(live: readonly LooseObject[], files: readonly LooseObject[]): LooseObject[] {
  const replaced = new Set(files.map(identity));
  const profiles = new Set(files.filter((o) => o.kind === "IsolationProfile").map((o) => meta(o).name));
  const kept = live.filter((obj) => {
    if (replaced.has(identity(obj))) return false;
    const profile = generatedFor(obj);
    return profile === undefined || !profiles.has(profile);
  });
  return [...kept, ...files];
}
