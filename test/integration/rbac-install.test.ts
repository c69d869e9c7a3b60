/**
 * The install, proven rather than claimed. On a control plane of its own (the
 * chart owns the cluster-scoped CRD, which the shared one's tests install too;
 * and its audit log records every request of the chart's ServiceAccount, reads
 * and watches included):
 *   1. `helm install` the chart into a namespace enforcing Pod Security
 *      "restricted": every object is admitted, and the Deployment's pod passes
 *      the restricted profile (a server-side dry run; there is no kubelet).
 *   2. Mint a token for the chart's ServiceAccount (TokenRequest) and run
 *      `netfence run --leader-elect` with nothing but that token through
 *      everything it does: the walkthrough's profiles converge, one after
 *      another, with the matrices of the walkthrough; drift is healed; a
 *      tenant's policy bypasses a profile; DryRun; deletion with Orphan and
 *      with Delete through the finalizer; a second process takes the Lease over
 *      and, writing slowly, re-reads a policy its stale write conflicted on.
 *   3. The least privilege is proven: the verbs the audit log shows it used are
 *      exactly the verbs the installed Roles and ClusterRole grant — none
 *      granted and never used, none used and not granted, nothing refused.
 *   4. The same token is refused (403) for secrets, pod writes, RBAC writes,
 *      impersonation and everything else outside its role.
 *   5. `helm upgrade` to two replicas turns leader election on; `helm uninstall`
 *      removes the operator and keeps the CRD.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import { LABEL_MANAGED_BY } from "../../src/api/constants.js";
import { computeMatrix } from "../../src/cli/matrix.js";
import { ControlPlane } from "../../src/controlplane/controlplane.js";
import { installAdminNetworkPolicyCrd, installNetworkPolicyApiCrds } from "../../src/controlplane/network-policy-api.js";
import { compare, loadProbes, STATES, type Probe } from "../../src/demo/walkthrough.js";
import { requestJson } from "../../src/io/client.js";
import { policyName } from "../../src/policy/naming.js";
import { matrixCells } from "../../src/policy/reachability.js";
import { CHART, find, helm, helmBinary, parseObjects, ROOT, type K8sObject } from "../unit/packaging/helm.js";
import { accessesOf, compareRbac, grantsFor, rbacReport, usedSummary } from "../unit/packaging/rbac.js";
import { eventually, statusCode } from "./helpers.js";
import { auditEvents, auditMark, Operator } from "./operator.js";
import { Profiles } from "./profiles.js";
import { createWalkthroughCluster, type WalkthroughCluster } from "./walkthrough.js";

const NAMESPACE = "netfence-system";
const SA_USER = `system:serviceaccount:${NAMESPACE}:netfence`;
const SELECTOR = "netfence.io/test=rbac-install";
const MERGE_PATCH = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);
const RESTRICTED = {
  "pod-security.kubernetes.io/enforce": "restricted",
  "pod-security.kubernetes.io/enforce-version": "latest",
};

/** A pod spec as plain JSON, the way helm rendered it. */
type PodSpecJson = Record<string, unknown> & { containers: Record<string, unknown>[] };

let plane: ControlPlane;
let admin: k8s.KubeConfig;
let asOperator: k8s.KubeConfig;
let token = "";
let tmp = "";
/** A kubeconfig with nothing but the chart's ServiceAccount token. */
let saKubeconfig = "";

function kubeConfigFrom(text: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(text);
  return kc;
}

function helmIn(args: string[]) {
  return helm([...args, "--kubeconfig", plane.kubeconfigPath, "--namespace", NAMESPACE]);
}

/** The HTTP status a call ends with: 2xx as 200, a refusal as its code. */
async function outcome(call: () => Promise<unknown>): Promise<number> {
  try {
    await call();
    return 200;
  } catch (err) {
    const code = statusCode(err);
    if (code === undefined) throw err;
    return code;
  }
}

beforeAll(async () => {
  helmBinary();
  plane = await ControlPlane.start({ auditAllRequestsOf: [SA_USER] });
  admin = kubeConfigFrom(plane.kubeconfig());
  tmp = mkdtempSync(join(tmpdir(), "netfence-rbac-"));
  // The Admin tier served (ClusterNetworkPolicy from network-policy-api, AdminNetworkPolicy
  // from the Calico module): the operator lists and watches both, which the chart grants.
  await installNetworkPolicyApiCrds(admin);
  await installAdminNetworkPolicyCrd(admin);
}, 900_000);

afterAll(async () => {
  await plane.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe("helm install into a namespace enforcing Pod Security restricted", () => {
  it("admits every object of the chart, the CRD included, and prints the first steps", async () => {
    const core = admin.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: NAMESPACE, labels: RESTRICTED } } });
    const r = helmIn(["install", "netfence", CHART]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("STATUS: deployed");
    expect(r.stdout).toContain("kubectl get isop strict-namespaces");

    const apps = admin.makeApiClient(k8s.AppsV1Api);
    const deployment = await apps.readNamespacedDeployment({ name: "netfence", namespace: NAMESPACE });
    expect(deployment.spec?.template.spec?.serviceAccountName).toBe("netfence");
    const crds = admin.makeApiClient(k8s.ApiextensionsV1Api);
    await eventually(async () => {
      const crd = await crds.readCustomResourceDefinition({ name: "isolationprofiles.netfence.io" });
      return crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") ? true : undefined;
    }, "the chart's CRD to be Established");
  });

  it("the Deployment's pod passes Pod Security restricted, and a pod without its securityContext does not", async () => {
    const manifest = parseObjects(helmIn(["get", "manifest", "netfence"]).stdout);
    const template = (find(manifest, "Deployment") as K8sObject & { spec: { template: { metadata: { labels: Record<string, string> }; spec: PodSpecJson } } }).spec.template;
    const core = admin.makeApiClient(k8s.CoreV1Api);
    const pod = (spec: PodSpecJson): k8s.V1Pod => ({ apiVersion: "v1", kind: "Pod", metadata: { name: "netfence-pss-check", labels: template.metadata.labels }, spec: spec as unknown as k8s.V1PodSpec });
    expect(await outcome(() => core.createNamespacedPod({ namespace: NAMESPACE, body: pod(template.spec), dryRun: "All" }))).toBe(200);

    const loose: PodSpecJson = { ...template.spec, securityContext: {}, containers: template.spec.containers.map((c) => ({ ...c, securityContext: {} })) };
    const refused = await core.createNamespacedPod({ namespace: NAMESPACE, body: pod(loose), dryRun: "All" }).then(
      () => "admitted",
      (err: unknown) => `${String(statusCode(err))} ${err instanceof k8s.ApiException ? (JSON.parse(String(err.body)) as { message: string }).message : String(err)}`,
    );
    expect(refused).toMatch(/^403 .*violates PodSecurity "restricted:latest"/);
  });
});

describe("netfence run with the chart's ServiceAccount token", () => {
  let operator: Operator;
  let cluster: WalkthroughCluster;
  let profiles: Profiles;

  beforeAll(async () => {
    const core = admin.makeApiClient(k8s.CoreV1Api);
    const minted = await core.createNamespacedServiceAccountToken({ name: "netfence", namespace: NAMESPACE, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
    token = minted.status?.token ?? "";
    saKubeconfig = join(tmp, "netfence-sa.kubeconfig");
    writeFileSync(saKubeconfig, plane.tokenKubeconfig(token, "netfence-sa"), { mode: 0o600 });
    asOperator = kubeConfigFrom(plane.tokenKubeconfig(token, "netfence-sa"));
    cluster = await createWalkthroughCluster(admin);
    profiles = new Profiles(admin, SELECTOR);
    operator = await Operator.start({ namespace: NAMESPACE, profileSelector: SELECTOR, kubeconfig: saKubeconfig, leaderElect: true, dataPlane: "detect" });
    await operator.ready();
  }, 120_000);

  afterAll(async () => {
    await operator.stop();
  });

  /** `eventually`, failing with the operator's log lines as they are when it fails (not when it started waiting). */
  async function converged<T>(check: () => Promise<T | undefined>, what: string, timeoutMs?: number, intervalMs?: number, detail = () => ""): Promise<T> {
    try {
      return await eventually(check, what, timeoutMs, intervalMs);
    } catch (err) {
      throw new Error(`${err instanceof Error ? err.message : String(err)}${detail()}\noperator logs:\n${operator.logs(40)}`);
    }
  }

  async function matches(probes: Probe[]): Promise<string[]> {
    const renamed = probes.map((p) => ({ ...p, from: cluster.rename(p.from), to: cluster.rename(p.to) }));
    const namespaces = Object.values(cluster.names);
    const mismatches: string[] = [];
    for (const traffic of [{ protocol: "ICMP" }, { protocol: "TCP", port: "80" }] as const) {
      const { matrix } = await computeMatrix({ input: { kubeconfig: plane.kubeconfigPath }, traffic, namespaces, externals: [] });
      mismatches.push(...compare(matrixCells(matrix), renamed, traffic.protocol).mismatches);
    }
    return mismatches;
  }

  it("converges the walkthrough's profiles one after another, each with the walkthrough's matrix", async () => {
    for (const state of STATES.filter((s) => s.sample)) {
      const name = `rbac-${state.id}`;
      await profiles.fromSample(join(ROOT, state.sample ?? ""), name, (ns) => cluster.names[ns] ?? ns);
      await converged(() => profiles.settled(name), `${name} Ready`);
      for (const step of state.steps) {
        if (step.label) {
          const { pod, key, value } = step.label;
          await admin.makeApiClient(k8s.CoreV1Api).patchNamespacedPod(
            { name: pod, namespace: cluster.names[step.label.namespace] ?? "", body: { metadata: { labels: { [key]: value } } } },
            MERGE_PATCH,
          );
        }
        expect({ state: step.expect, mismatches: await matches(await loadProbes(ROOT, step)) }).toEqual({ state: step.expect, mismatches: [] });
      }
      // Deleting the profile goes through the finalizer: its policy is removed, then the profile.
      await profiles.delete(name);
      await eventually(async () => ((await profiles.get(name)) ? undefined : true), `${name} deleted through its finalizer`);
      expect(await profiles.policy(name, cluster.names.dev ?? "")).toBeUndefined();
    }
  }, 120_000);

  it("heals a policy edited or deleted by hand, sees a tenant's bypass, dry-runs, and orphans or deletes with the profile", async () => {
    const dev = cluster.names.dev ?? "";
    const test = cluster.names.test ?? "";
    const net = admin.makeApiClient(k8s.NetworkingV1Api);
    const gone = (name: string) => async () => ((await profiles.get(name)) ? undefined : true);

    // Drift: an edit is replaced (PUT), a deletion created again.
    await profiles.create("rbac-heal", { preset: "deny-all", namespaces: { names: [dev] }, allowDNS: false });
    const original = await eventually(() => profiles.policy("rbac-heal", dev), "rbac-heal's policy");
    // The same edit twice: the second heal is counted on the first one's Event (patch), not a new Event.
    for (const round of ["first", "second"]) {
      const before = await profiles.policy("rbac-heal", dev);
      await net.patchNamespacedNetworkPolicy({ namespace: dev, name: policyName("rbac-heal"), body: { spec: { policyTypes: ["Ingress"] } } }, MERGE_PATCH);
      await eventually(async () => {
        const p = await profiles.policy("rbac-heal", dev);
        return p?.spec.policyTypes?.includes("Egress") && p.metadata.resourceVersion !== before?.metadata.resourceVersion ? true : undefined;
      }, `the edited policy restored (${round} time)`);
    }
    await net.deleteNamespacedNetworkPolicy({ namespace: dev, name: policyName("rbac-heal") });
    await eventually(async () => {
      const p = await profiles.policy("rbac-heal", dev);
      return p && p.metadata.uid !== original.metadata.uid ? true : undefined;
    }, "the deleted policy created again");

    // A tenant's allow-all (the operator watches every NetworkPolicy) bypasses the profile, and deleting it ends that.
    await net.createNamespacedNetworkPolicy({ namespace: dev, body: { metadata: { name: "tenant-allow-all" }, spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{}] } } });
    await eventually(async () => ((await profiles.get("rbac-heal"))?.status?.bypassedNamespaces === 1 ? true : undefined), "Bypassed by the tenant's policy");
    await net.deleteNamespacedNetworkPolicy({ namespace: dev, name: "tenant-allow-all" });
    await eventually(async () => ((await profiles.get("rbac-heal"))?.status?.bypassedNamespaces === 0 ? true : undefined), "isolated again");

    // DryRun: the server validates the policy (a dry-run apply) and stores nothing.
    await profiles.create("rbac-dryrun", { preset: "deny-ingress", namespaces: { names: [test] }, mode: "DryRun" });
    const planned = await eventually(async () => (await profiles.get("rbac-dryrun"))?.status?.namespaces?.find((n) => n.name === test && n.state === "DryRun"), "DryRun's plan in status");
    expect(planned.action).toBe("create");
    expect(await profiles.policy("rbac-dryrun", test)).toBeUndefined();

    // Orphan: the policy is detached (netfence's labels and owner reference removed) and kept.
    await profiles.create("rbac-orphan", { preset: "deny-egress", namespaces: { names: [test] }, deletionPolicy: "Orphan" });
    await eventually(() => profiles.policy("rbac-orphan", test), "rbac-orphan's policy");
    await profiles.delete("rbac-orphan");
    await eventually(gone("rbac-orphan"), "rbac-orphan deleted through its finalizer");
    const orphaned = await profiles.policy("rbac-orphan", test);
    expect({ labels: orphaned?.metadata.labels?.[LABEL_MANAGED_BY], owners: orphaned?.metadata.ownerReferences ?? [] }).toEqual({ labels: undefined, owners: [] });
    await net.deleteNamespacedNetworkPolicy({ namespace: test, name: policyName("rbac-orphan") });

    // Delete (the default): the policy goes with the profile.
    await profiles.delete("rbac-heal");
    await profiles.delete("rbac-dryrun");
    await eventually(gone("rbac-heal"), "rbac-heal deleted through its finalizer");
    await eventually(gone("rbac-dryrun"), "rbac-dryrun deleted through its finalizer");
    expect(await profiles.policy("rbac-heal", dev)).toBeUndefined();
  }, 120_000);

  it("re-reads a policy that changed while its write waited, then restores it (another process took the Lease over)", async () => {
    const dev = cluster.names.dev ?? "";
    const net = admin.makeApiClient(k8s.NetworkingV1Api);
    const name = "rbac-slow";
    const policy = policyName(name);
    await profiles.create(name, { preset: "deny-all", namespaces: { names: [dev] }, allowDNS: false });
    await eventually(() => profiles.settled(name), `${name} Ready`);
    const desired = (await profiles.policy(name, dev))?.spec;

    // A writer allowed one write every 4 s: a heal planned now waits for its turn, and an edit meanwhile makes it stale.
    await operator.stop();
    operator = await Operator.start({ namespace: NAMESPACE, profileSelector: SELECTOR, kubeconfig: saKubeconfig, leaderElect: true, dataPlane: "detect", extraArgs: ["--qps=0.25", "--burst=1"] });
    await operator.ready();
    const leases = admin.makeApiClient(k8s.CoordinationV1Api);
    await eventually(
      async () => ((await leases.readNamespacedLease({ name: "netfence-leader", namespace: NAMESPACE })).spec?.holderIdentity?.endsWith(`_${String(operator.pid)}`) ? true : undefined),
      "the new process holding the leader Lease",
    );
    const sa = (verb: string) => auditEvents((e) => e.user.username === SA_USER && e.verb === verb && e.objectRef?.resource === "networkpolicies" && e.objectRef.name === policy, plane.auditLogPath);
    let edits = 0;
    await converged(
      async () => {
        edits++;
        await net.patchNamespacedNetworkPolicy({ namespace: dev, name: policy, body: { spec: { podSelector: { matchLabels: { edit: String(edits) } } } } }, MERGE_PATCH);
        return sa("get").length > 0 ? true : undefined;
      },
      `the operator re-reading ${dev}/${policy} after a stale write`,
      90_000,
      1500,
      () => ` (${String(edits)} edits); its requests on the policy:\n${sa("update").concat(sa("get"), sa("create"), sa("patch")).map((e) => `${e.requestReceivedTimestamp} ${e.verb} → ${String(e.responseStatus?.code)}`).sort().join("\n")}`,
    );
    expect(sa("update").map((e) => e.responseStatus?.code)).toContain(409);
    await eventually(async () => (JSON.stringify((await profiles.policy(name, dev))?.spec) === JSON.stringify(desired) ? true : undefined), "the policy restored", 60_000);
    // Gone before the Admin-tier cycles: a profile at the same priority in dev that is older would keep the Admin tier to itself.
    await profiles.delete(name);
    await eventually(async () => ((await profiles.get(name)) ? undefined : true), `${name} deleted through its finalizer`, 60_000);
  }, 240_000);

  it.each([
    ["AdminNetworkPolicy", "NetworkPolicy,AdminNetworkPolicy", "/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies"],
    ["ClusterNetworkPolicy", "NetworkPolicy,AdminNetworkPolicy,ClusterNetworkPolicy", "/apis/policy.networking.k8s.io/v1beta1/clusternetworkpolicies"],
  ])("enforces a profile as a %s: writes it, heals an edit, removes it when enforcement changes, and detaches it (Orphan)", async (kind, enforces, path) => {
    const dev = cluster.names.dev ?? "";
    await operator.stop();
    operator = await Operator.start({ namespace: NAMESPACE, profileSelector: SELECTOR, kubeconfig: saKubeconfig, leaderElect: true, extraArgs: [`--data-plane-enforces=${enforces}`] });
    await operator.ready();
    type Live = { metadata: { ownerReferences?: unknown[]; labels?: Record<string, string> }; spec: { priority: number } };
    const read = async (name: string) => {
      try {
        return (await requestJson(admin, "GET", `${path}/${policyName(name)}`)) as Live;
      } catch (err) {
        if (statusCode(err) === 404) return undefined;
        throw err;
      }
    };
    const name = `rbac-admin-${kind.toLowerCase()}`;
    await profiles.create(name, { preset: "deny-all", namespaces: { names: [dev] }, allowDNS: false });
    await converged(() => read(name), `${name}'s ${kind}`);
    await requestJson(admin, "PATCH", `${path}/${policyName(name)}`, { body: { spec: { priority: 999 } }, contentType: "application/merge-patch+json" });
    await converged(async () => ((await read(name))?.spec.priority === 100 ? true : undefined), `the edited ${kind} restored`);
    await profiles.patchSpec(name, { enforcement: "NetworkPolicy" });
    await converged(async () => ((await read(name)) ? undefined : true), `the ${kind} removed under enforcement NetworkPolicy`);
    await profiles.delete(name);
    await eventually(async () => ((await profiles.get(name)) ? undefined : true), `${name} deleted through its finalizer`);

    const orphan = `rbac-admin-orphan-${kind.toLowerCase()}`;
    await profiles.create(orphan, { preset: "deny-ingress", namespaces: { names: [dev] }, deletionPolicy: "Orphan" });
    await converged(() => read(orphan), `${orphan}'s ${kind}`);
    await profiles.delete(orphan);
    await eventually(async () => ((await profiles.get(orphan)) ? undefined : true), `${orphan} deleted through its finalizer`);
    const kept = await read(orphan);
    expect({ kept: kept !== undefined, labels: kept?.metadata.labels?.[LABEL_MANAGED_BY], owners: kept?.metadata.ownerReferences ?? [] }).toEqual({ kept: true, labels: undefined, owners: [] });
    await requestJson(admin, "DELETE", `${path}/${policyName(orphan)}`);
    await admin.makeApiClient(k8s.NetworkingV1Api).deleteNamespacedNetworkPolicy({ namespace: dev, name: policyName(orphan) });
  }, 180_000);

  it("used exactly what the chart grants its ServiceAccount, and was refused nothing", async () => {
    // Its last requests (releasing the Lease) are part of the proof.
    await operator.stop();
    await auditMark(admin, plane.auditLogPath);
    const grants = grantsFor(parseObjects(helmIn(["get", "manifest", "netfence"]).stdout), SA_USER);
    const used = accessesOf(auditEvents(() => true, plane.auditLogPath), SA_USER);
    console.log(`netfence run as ${SA_USER} used:\n  ${usedSummary(used).join("\n  ")}`);
    expect(rbacReport(SA_USER, compareRbac(grants, used))).toBe("");
  });
});

describe("the ServiceAccount token outside its role", () => {
  const core = () => asOperator.makeApiClient(k8s.CoreV1Api);

  it.each<[string, () => Promise<unknown>]>([
    ["list secrets in every namespace", () => core().listSecretForAllNamespaces()],
    ["list secrets in its own namespace", () => core().listNamespacedSecret({ namespace: NAMESPACE })],
    ["read a secret in its own namespace", () => core().readNamespacedSecret({ name: "not-for-netfence", namespace: NAMESPACE })],
    ["create a pod", () => core().createNamespacedPod({ namespace: "default", body: { metadata: { name: "x" }, spec: { containers: [{ name: "x", image: "x" }] } } })],
    ["delete a pod", () => core().deleteNamespacedPod({ name: "bystander", namespace: "default" })],
    [
      "label a pod",
      () => core().patchNamespacedPod({ name: "bystander", namespace: "default", body: { metadata: { labels: { a: "b" } } } }, MERGE_PATCH),
    ],
    ["create a namespace", () => core().createNamespace({ body: { metadata: { name: "netfence-made-this" } } })],
    ["delete a namespace", () => core().deleteNamespace({ name: "default" })],
    ["label a namespace", () => core().patchNamespace({ name: "default", body: { metadata: { labels: { a: "b" } } } }, MERGE_PATCH)],
    ["create a configmap in its own namespace", () => core().createNamespacedConfigMap({ namespace: NAMESPACE, body: { metadata: { name: "x" } } })],
    ["create a service account token", () => core().createNamespacedServiceAccountToken({ name: "netfence", namespace: NAMESPACE, body: { spec: { audiences: [] } } })],
    ["create a Lease outside its namespace", () => asOperator.makeApiClient(k8s.CoordinationV1Api).createNamespacedLease({ namespace: "default", body: { metadata: { name: "x" }, spec: {} } })],
    ["delete its own Lease", () => asOperator.makeApiClient(k8s.CoordinationV1Api).deleteNamespacedLease({ name: "netfence-leader", namespace: NAMESPACE })],
    [
      "create an Event outside default",
      () =>
        asOperator.makeApiClient(k8s.EventsV1Api).createNamespacedEvent({
          namespace: NAMESPACE,
          body: { metadata: { name: "x" }, eventTime: new k8s.V1MicroTime(), reportingController: "x", reportingInstance: "x", action: "x", reason: "x", type: "Normal" },
        }),
    ],
    ["delete Events", () => asOperator.makeApiClient(k8s.EventsV1Api).deleteCollectionNamespacedEvent({ namespace: "default" })],
    [
      "create an IsolationProfile",
      () =>
        asOperator.makeApiClient(k8s.CustomObjectsApi).createClusterCustomObject({
          group: "netfence.io",
          version: "v1alpha1",
          plural: "isolationprofiles",
          body: { apiVersion: "netfence.io/v1alpha1", kind: "IsolationProfile", metadata: { name: "x" }, spec: { preset: "deny-all", namespaces: { names: ["x"] } } },
        }),
    ],
    ["delete an IsolationProfile", () => asOperator.makeApiClient(k8s.CustomObjectsApi).deleteClusterCustomObject({ group: "netfence.io", version: "v1alpha1", plural: "isolationprofiles", name: "x" })],
    ["change the CRD", () => asOperator.makeApiClient(k8s.ApiextensionsV1Api).deleteCustomResourceDefinition({ name: "isolationprofiles.netfence.io" })],
    ["create a Deployment", () => asOperator.makeApiClient(k8s.AppsV1Api).createNamespacedDeployment({ namespace: NAMESPACE, body: { metadata: { name: "x" }, spec: { selector: {}, template: {} } } })],
    [
      "bind itself to cluster-admin",
      () =>
        asOperator.makeApiClient(k8s.RbacAuthorizationV1Api).createClusterRoleBinding({
          body: { metadata: { name: "netfence-escalates" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" }, subjects: [{ kind: "ServiceAccount", name: "netfence", namespace: NAMESPACE }] },
        }),
    ],
    [
      "widen its own ClusterRole",
      () =>
        asOperator.makeApiClient(k8s.RbacAuthorizationV1Api).patchClusterRole(
          { name: "netfence", body: { rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["get"] }] } },
          MERGE_PATCH,
        ),
    ],
  ])("%s: 403", async (_name, call) => {
    expect(await outcome(call)).toBe(403);
  });

  it("impersonating another user: 403", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL("/api/v1/namespaces", plane.server);
      const req = request(url, { ca: readFileSync(plane.pki.caCert), headers: { Authorization: `Bearer ${token}`, "Impersonate-User": "system:admin" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it.each([
    ["escalate", "rbac.authorization.k8s.io", "clusterroles", ""],
    ["bind", "rbac.authorization.k8s.io", "clusterroles", ""],
    ["impersonate", "", "users", ""],
    ["impersonate", "", "serviceaccounts", ""],
    ["get", "", "secrets", NAMESPACE],
    ["*", "*", "*", ""],
    ["create", "", "pods", "default"],
    ["create", "networking.k8s.io", "networkpolicies", "default"],
    ["patch", "netfence.io", "isolationprofiles", ""],
    ["get", "netfence.io", "isolationprofiles", ""],
    ["get", "", "namespaces", ""],
    ["patch", "events.k8s.io", "events", "default"],
    ["patch", "events.k8s.io", "events", "kube-system"],
    ["update", "coordination.k8s.io", "leases", NAMESPACE],
    ["update", "coordination.k8s.io", "leases", "default"],
  ])("SelfSubjectAccessReview: may it %s %s/%s in '%s'?", async (verb, group, resource, namespace) => {
    const review = await asOperator.makeApiClient(k8s.AuthorizationV1Api).createSelfSubjectAccessReview({
      body: { spec: { resourceAttributes: { verb, group, resource, ...(namespace ? { namespace } : {}) } } },
    });
    const granted = (verb === "create" && resource === "networkpolicies") || (verb === "patch" && resource === "isolationprofiles") || (verb === "patch" && resource === "events" && namespace === "default") || (verb === "update" && namespace === NAMESPACE);
    expect(review.status?.allowed).toBe(granted);
  });
});

describe("helm upgrade and uninstall", () => {
  it("upgrading to two replicas turns leader election on and rolls pods instead of recreating them", async () => {
    const r = helmIn(["upgrade", "netfence", CHART, "--set", "replicas=2"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const d = await admin.makeApiClient(k8s.AppsV1Api).readNamespacedDeployment({ name: "netfence", namespace: NAMESPACE });
    expect(d.spec?.replicas).toBe(2);
    expect(d.spec?.strategy?.type).toBe("RollingUpdate");
    expect(d.spec?.template.spec?.containers[0]?.args).toEqual(expect.arrayContaining(["--leader-elect", "--lease-name=netfence-leader"]));
  });

  it("uninstalling removes the operator and its RBAC but keeps the CRD (and with it every profile)", async () => {
    const r = helmIn(["uninstall", "netfence"]);
    expect(r.status).toBe(0);
    expect(`${r.stdout}${r.stderr}`).toMatch(/kept due to the resource policy|resource policy/i);
    expect(await outcome(() => admin.makeApiClient(k8s.AppsV1Api).readNamespacedDeployment({ name: "netfence", namespace: NAMESPACE }))).toBe(404);
    expect(await outcome(() => admin.makeApiClient(k8s.RbacAuthorizationV1Api).readClusterRole({ name: "netfence" }))).toBe(404);
    expect(await outcome(() => admin.makeApiClient(k8s.ApiextensionsV1Api).readCustomResourceDefinition({ name: "isolationprofiles.netfence.io" }))).toBe(200);
  });
});
