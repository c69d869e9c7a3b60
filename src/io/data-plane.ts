/**
 * The data plane netfence believes enforces policies, and on what evidence:
 * declared by the chart (`--data-plane-enforces`, wins), detected from
 * Calico's ClusterInformation `default` (calico-node records its release in
 * spec.calicoVersion), or unverified. Read once at start-up.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { isRecord } from "../lib/is-record.js";
import { calicoEnforces, UNVERIFIED, type DataPlane, type PolicyKind } from "../policy/enforcement.js";
import { getJson } from "./client.js";
import { classify } from "./errors.js";

export const CLUSTER_INFORMATION = "/apis/crd.projectcalico.org/v1/clusterinformations/default";

export interface DeclaredDataPlane {
  /** What the status calls it; default "declared data plane". */
  name?: string;
  /** undefined: nothing declared (detect). */
  enforces?: readonly PolicyKind[];
}

/** The data plane from a declaration, else from what the cluster shows, else unverified with the reason. */
export async function dataPlane(kc: KubeConfig, declared: DeclaredDataPlane = {}): Promise<DataPlane> {
  if (declared.enforces !== undefined) return { name: declared.name || "declared data plane", enforces: declared.enforces, evidence: "declared", source: "--data-plane-enforces" };
  let info: unknown;
  try {
    info = await getJson(kc, CLUSTER_INFORMATION);
  } catch (err) {
    const e = classify(err);
    if (e.kind === "NotFound") return UNVERIFIED;
    return { ...UNVERIFIED, source: `${UNVERIFIED.source}; reading Calico's ClusterInformation failed (${e.message})` };
  }
  const version = isRecord(info) && isRecord(info.spec) && typeof info.spec.calicoVersion === "string" ? info.spec.calicoVersion : "";
  const enforces = calicoEnforces(version);
  if (!enforces) return { ...UNVERIFIED, name: "Calico", source: `${UNVERIFIED.source}; Calico's ClusterInformation default has no readable spec.calicoVersion ('${version}')` };
  return { name: `Calico ${version}`, enforces, evidence: "detected", source: "ClusterInformation default spec.calicoVersion" };
}
