import { beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import { installAdminNetworkPolicyCrd, installNetworkPolicyApiCrds } from "../../src/controlplane/network-policy-api.js";
import { requestJson } from "../../src/io/client.js";
import { ADMIN_KINDS, renderAdminTier, type AdminKind, type AdminTierObject } from "../../src/policy/admin-render.js";
import { ADMIN_CASES, adminWorld, parsedProfile } from "../unit/policy/admin-model.js";
import { kubeConfig, uniqueName } from "./helpers.js";

/**
 * Every Admin-tier render the unit tests evaluate, admitted by the real API
 * server: ClusterNetworkPolicy v1beta1 and v1alpha2 through the upstream CRD
 * (network-policy-api v0.3.0, standard channel, CEL included), and
 * AdminNetworkPolicy v1alpha1 through the CRD felix v3.31.0 enforces (from the
 * calico module the data plane builds; only that CRD is installed here).
 * Created with dryRun=All and fieldValidation=Strict: the whole admission chain
 * runs, an unknown (misspelt) field is an error instead of being pruned, and
 * nothing is stored. Nothing enforces these objects on this control plane.
 */
const kc = kubeConfig();
const WORLD = adminWorld();
const PLURAL: Record<AdminKind, string> = {
  "ClusterNetworkPolicy/v1beta1": "/apis/policy.networking.k8s.io/v1beta1/clusternetworkpolicies",
  "ClusterNetworkPolicy/v1alpha2": "/apis/policy.networking.k8s.io/v1alpha2/clusternetworkpolicies",
  "AdminNetworkPolicy/v1alpha1": "/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies",
};

beforeAll(async () => {
  await installNetworkPolicyApiCrds(kc);
  await installAdminNetworkPolicyCrd(kc);
}, 600_000);

async function tryCreate(kind: AdminKind, object: AdminTierObject): Promise<string> {
  try {
    await requestJson(kc, "POST", PLURAL[kind], { body: object, query: { dryRun: "All", fieldValidation: "Strict" } });
    return "admitted";
  } catch (err) {
    return err instanceof k8s.ApiException ? `${String(err.code)} ${String(err.body)}` : String(err);
  }
}

/** One object per case and kind, under a fresh name (the profile's uid is a made-up one: owner references are not checked at admission). */
function renders(kind: AdminKind): { name: string; object: AdminTierObject }[] {
  return ADMIN_CASES.map((c) => {
    const out = renderAdminTier(parsedProfile(c.spec, uniqueName("admin"), "00000000-0000-4000-8000-000000000001"), WORLD.namespaces, kind, { operatorNamespace: "netfence-system" });
    if (!out.ok || !out.object) throw new Error(`${c.name}: ${JSON.stringify(out)}`);
    return { name: c.name, object: out.object };
  });
}

async function outcomes(kind: AdminKind): Promise<string[]> {
  const list = renders(kind);
  const results: string[] = [];
  // A few at a time: each request is its own connection.
  for (let i = 0; i < list.length; i += 8) {
    const batch = list.slice(i, i + 8);
    results.push(...(await Promise.all(batch.map(async ({ name, object }) => `${name}: ${await tryCreate(kind, object)}`))));
  }
  return results;
}

describe("the API server admits every Admin-tier render", () => {
  it.each(ADMIN_KINDS.map((k) => [k] as const))("as %s: every preset × selection × option", async (kind) => {
    const results = await outcomes(kind);
    expect(results).toHaveLength(ADMIN_CASES.length);
    expect(results.filter((r) => !r.endsWith(": admitted"))).toEqual([]);
  });

  it("and refuses what upstream refuses (the check is not vacuous): priority 2000, a misspelt field", async () => {
    const [first] = renders("ClusterNetworkPolicy/v1beta1");
    if (!first) throw new Error("no render");
    const tooHigh = await tryCreate("ClusterNetworkPolicy/v1beta1", { ...first.object, spec: { ...first.object.spec, priority: 2000 } });
    const misspelt = await tryCreate("ClusterNetworkPolicy/v1beta1", { ...first.object, spec: { ...first.object.spec, ingres: [] } });
    expect({ tooHigh: tooHigh.slice(0, 3), names: tooHigh.includes("spec.priority"), misspelt: misspelt.slice(0, 3), unknown: misspelt.includes("ingres") }).toEqual({ tooHigh: "422", names: true, misspelt: "400", unknown: true });
  });
});
