import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import { eventually, kubeConfig, statusCode, uniqueName } from "./helpers.js";

/**
 * Proof that the local control plane is real: every claim below would fail
 * without etcd (nothing stores), kube-apiserver (nothing answers, validates or
 * authorizes) or kube-controller-manager (no garbage collection, no namespace
 * cleanup).
 */
const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const net = kc.makeApiClient(k8s.NetworkingV1Api);
const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
const custom = kc.makeApiClient(k8s.CustomObjectsApi);
const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);

const ns = uniqueName("cp");
const denyAll = (name: string): k8s.V1NetworkPolicy => ({ metadata: { name }, spec: { podSelector: {}, policyTypes: ["Ingress"] } });

async function gone(read: () => Promise<unknown>): Promise<true | undefined> {
  try {
    await read();
    return undefined;
  } catch (err) {
    if (statusCode(err) === 404) return true;
    throw err;
  }
}

beforeAll(async () => {
  await core.createNamespace({ body: { metadata: { name: ns } } });
});

afterAll(async () => {
  await core.deleteNamespace({ name: ns }).catch(() => undefined);
});

describe("the local control plane", () => {
  it("reports the Kubernetes version it was built from", async () => {
    const version = await kc.makeApiClient(k8s.VersionApi).getCode();
    expect(version.gitVersion).toMatch(/^v1\.\d+\.\d+$/);
    expect(version.gitVersion).not.toContain("master");
  });

  it("stores a NetworkPolicy and a watch sees it ADDED", async () => {
    const name = uniqueName("watched");
    const seen: string[] = [];
    const watch = new k8s.Watch(kc);
    let resolveAdded: () => void = () => undefined;
    const added = new Promise<void>((r) => (resolveAdded = r));
    const req = await watch.watch(
      `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies`,
      {},
      (phase: string, obj: k8s.V1NetworkPolicy) => {
        seen.push(`${phase} ${obj.metadata?.name ?? ""}`);
        if (phase === "ADDED" && obj.metadata?.name === name) resolveAdded();
      },
      () => undefined,
    );
    try {
      await net.createNamespacedNetworkPolicy({ namespace: ns, body: denyAll(name) });
      await Promise.race([added, new Promise((_, fail) => setTimeout(() => fail(new Error(`no ADDED event; saw ${seen.join(", ")}`)), 10_000))]);
    } finally {
      req.abort();
    }
    expect(seen).toContain(`ADDED ${name}`);
  });

  it("rejects an invalid NetworkPolicy with 422 naming the field", async () => {
    const body: k8s.V1NetworkPolicy = {
      metadata: { name: uniqueName("bad-cidr") },
      spec: { podSelector: {}, ingress: [{ _from: [{ ipBlock: { cidr: "10.300.0.0/16" } }] }] },
    };
    const err = await net.createNamespacedNetworkPolicy({ namespace: ns, body }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(statusCode(err)).toBe(422);
    expect((err as k8s.ApiException<string>).body).toContain("spec.ingress[0].from[0].ipBlock.cidr");
  });

  it("garbage-collects a dependent when its owner is deleted", async () => {
    const owner = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: uniqueName("owner") } } });
    const dependentName = uniqueName("dependent");
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: {
        metadata: {
          name: dependentName,
          ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: owner.metadata!.name!, uid: owner.metadata!.uid! }],
        },
      },
    });
    await core.deleteNamespacedConfigMap({ namespace: ns, name: owner.metadata!.name!, propagationPolicy: "Background" });
    await eventually(() => gone(() => core.readNamespacedConfigMap({ namespace: ns, name: dependentName })), "the dependent to be garbage-collected", 300_000, 250);
  }, 320_000);

  it("deletes a namespace together with its contents", async () => {
    const doomed = uniqueName("doomed");
    await core.createNamespace({ body: { metadata: { name: doomed } } });
    await net.createNamespacedNetworkPolicy({ namespace: doomed, body: denyAll("inside") });
    await core.deleteNamespace({ name: doomed });
    // The namespace controller works through every namespace the parallel test files delete (thousands in the fault suite): a generous deadline.
    await eventually(() => gone(() => core.readNamespace({ name: doomed })), "the namespace controller to finish the namespace", 300_000, 250);
    await expect(net.readNamespacedNetworkPolicy({ namespace: doomed, name: "inside" })).rejects.toMatchObject({ code: 404 });
  }, 320_000);

  it("serves a CustomResourceDefinition with a status subresource", async () => {
    const group = `${uniqueName("g")}.test.netfence.io`;
    const plural = "widgets";
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name: `${plural}.${group}` },
        spec: {
          group,
          scope: "Cluster",
          names: { plural, singular: "widget", kind: "Widget", listKind: "WidgetList" },
          versions: [
            {
              name: "v1",
              served: true,
              storage: true,
              subresources: { status: {} },
              schema: {
                openAPIV3Schema: {
                  type: "object",
                  properties: {
                    spec: { type: "object", properties: { size: { type: "integer", minimum: 1 } } },
                    status: { type: "object", properties: { phase: { type: "string" } } },
                  },
                },
              },
            },
          ],
        },
      },
    });
    await eventually(async () => {
      const crd = await ext.readCustomResourceDefinition({ name: `${plural}.${group}` });
      return crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") ? true : undefined;
    }, "the CRD to be established");
    const name = uniqueName("w");
    const created = await eventually(
      () => custom.createClusterCustomObject({ group, version: "v1", plural, body: { apiVersion: `${group}/v1`, kind: "Widget", metadata: { name }, spec: { size: 2 }, status: { phase: "ignored" } } }) as Promise<{ status?: unknown }>,
      "the new resource to be served",
    );
    expect(created.status).toBeUndefined();
    const patched = (await custom.patchClusterCustomObjectStatus(
      { group, version: "v1", plural, name, body: { status: { phase: "Ready" }, spec: { size: 9 } } },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    )) as { spec: { size: number }; status: { phase: string } };
    expect(patched.status.phase).toBe("Ready");
    expect(patched.spec.size).toBe(2);
    await expect(
      custom.createClusterCustomObject({ group, version: "v1", plural, body: { apiVersion: `${group}/v1`, kind: "Widget", metadata: { name: uniqueName("w") }, spec: { size: 0 } } }),
    ).rejects.toMatchObject({ code: 422 });
    await ext.deleteCustomResourceDefinition({ name: `${plural}.${group}` });
  });

  it("enforces RBAC: a ServiceAccount token without permissions gets 403, with a Role it gets 200", async () => {
    const sa = uniqueName("nobody");
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: sa } } });
    const tr = await core.createNamespacedServiceAccountToken({ namespace: ns, name: sa, body: { spec: { audiences: [], expirationSeconds: 600 } } });
    const token = tr.status?.token;
    expect(token).toBeTruthy();
    const asSa = new k8s.KubeConfig();
    asSa.loadFromOptions({
      clusters: [{ name: "local", server: kc.getCurrentCluster()!.server, caData: kc.getCurrentCluster()!.caData }],
      users: [{ name: sa, token }],
      contexts: [{ name: "local", cluster: "local", user: sa }],
      currentContext: "local",
    });
    const saCore = asSa.makeApiClient(k8s.CoreV1Api);
    await expect(saCore.listNamespacedSecret({ namespace: ns })).rejects.toMatchObject({ code: 403 });
    await expect(saCore.listNamespacedConfigMap({ namespace: ns })).rejects.toMatchObject({ code: 403 });

    await rbac.createNamespacedRole({ namespace: ns, body: { metadata: { name: sa }, rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["list"] }] } });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: { metadata: { name: sa }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: sa }, subjects: [{ kind: "ServiceAccount", name: sa, namespace: ns }] },
    });
    await eventually(() => saCore.listNamespacedConfigMap({ namespace: ns }).then(() => true), "the Role to take effect");
    await expect(saCore.listNamespacedSecret({ namespace: ns })).rejects.toMatchObject({ code: 403 });
  });
});
