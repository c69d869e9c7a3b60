import { beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import { API_VERSION, GROUP, KIND, PLURAL, VERSION } from "../../src/api/constants.js";
import { parseProfile } from "../../src/api/parse.js";
import { readManifests, withoutSource } from "../../src/io/manifests.js";
import { INVALID_PROFILES } from "../unit/api/invalid-profiles.js";
import { installCrd } from "./crd.js";
import { kubeConfig, statusCode, uniqueName } from "./helpers.js";

let api: k8s.CustomObjectsApi;

beforeAll(async () => {
  const kc = kubeConfig();
  await installCrd(kc);
  api = kc.makeApiClient(k8s.CustomObjectsApi);
}, 60_000);

function profile(name: string, spec: unknown): Record<string, unknown> {
  return { apiVersion: API_VERSION, kind: KIND, metadata: { name }, spec };
}

/** Creates with dryRun=All: the whole admission chain runs, nothing is stored. */
async function tryCreate(body: unknown): Promise<{ code: number; message: string }> {
  try {
    await api.createClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, body, dryRun: "All" });
    return { code: 201, message: "" };
  } catch (err) {
    const body = err instanceof k8s.ApiException ? String(err.body) : String(err);
    return { code: statusCode(err) ?? 0, message: body };
  }
}

describe("the API server rejects", () => {
  const cases = INVALID_PROFILES.filter((c) => c.offlineOnly !== true);

  it("at least 30 invalid profiles", () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const { code, message } = await tryCreate(profile(uniqueName("invalid"), c.spec));
    expect(code).toBe(422);
    expect(message).toContain(c.path);
    if (c.message !== undefined) expect(message).toContain(c.message);
  });
});

describe("the API server accepts", () => {
  it("every sample in deploy/samples", async () => {
    const samples = await readManifests(["deploy/samples"]);
    expect(samples.length).toBeGreaterThanOrEqual(8);
    const outcomes = await Promise.all(samples.map(async (s) => ({ source: s.__source, ...(await tryCreate(withoutSource(s))) })));
    expect(outcomes.filter((o) => o.code !== 201)).toEqual([]);
  });

  it("a profile and defaults it the way parseProfile does", async () => {
    const name = uniqueName("defaults");
    const created = (await api.createClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      body: profile(name, { preset: "deny-all", namespaces: { names: ["dev"] } }),
    })) as { spec: Record<string, unknown> };
    try {
      const parsed = parseProfile(created);
      expect(parsed.ok).toBe(true);
      if (!parsed.ok) return;
      const { mode, allowDNS, deletionPolicy, enforcement, priority } = parsed.value.spec;
      expect(created.spec).toMatchObject({ mode, allowDNS, deletionPolicy, enforcement, priority, namespaces: { includeSystem: false } });
    } finally {
      await api.deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, name });
    }
  });

  it("a full status through the status subresource, shaped like IsolationProfileStatus", async () => {
    const name = uniqueName("status");
    await api.createClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, body: profile(name, { preset: "deny-ingress", namespaces: { names: ["dev"] } }) });
    try {
      const current = (await api.getClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, name })) as Record<string, unknown>;
      const status = {
        observedGeneration: 1,
        conditions: [
          { type: "Ready", status: "False", reason: "Conflict", message: "dev/netfence-x exists", lastTransitionTime: "2025-01-01T00:00:00Z", observedGeneration: 1 },
          { type: "Degraded", status: "True", reason: "Conflict", message: "1 namespace in conflict", lastTransitionTime: "2025-01-01T00:00:00Z" },
        ],
        selectedNamespaces: 2,
        isolatedNamespaces: 1,
        isolatedPods: 4,
        namespaces: [
          { name: "dev", state: "Conflict", policy: "netfence-x", message: "not managed by netfence" },
          { name: "test", state: "DryRun", policy: "netfence-x", action: "create" },
        ],
        namespacesOmitted: 0,
      };
      const updated = (await api.replaceClusterCustomObjectStatus({ group: GROUP, version: VERSION, plural: PLURAL, name, body: { ...current, status } })) as { status: unknown };
      expect(updated.status).toEqual(status);
    } finally {
      await api.deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, name });
    }
  });
});
