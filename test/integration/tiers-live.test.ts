import { requestJson } from "../../src/io/client.js";
import { afterAll, beforeAll, describe, expect, it, jest } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import { checkCommand } from "../../src/cli/check.js";
import { computeMatrix } from "../../src/cli/matrix.js";
import { installNetworkPolicyApiCrds } from "../../src/controlplane/network-policy-api.js";
import { readClusterSnapshot } from "../../src/io/cluster-snapshot.js";
import { matrixCells } from "../../src/policy/reachability.js";
import { kubeConfig, kubeconfigPath, uniqueName } from "./helpers.js";

/**
 * The Admin and Baseline tiers read from the live API: the upstream
 * ClusterNetworkPolicy CRD (network-policy-api v0.3.0, standard channel,
 * pinned) is installed on the run's control plane, ClusterNetworkPolicies are
 * applied as a user would, and `netfence matrix` / `check` (no -f) read them
 * back through API discovery. Nothing enforces them here: this is what the
 * evaluator reads, not what packets do.
 */
const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);

const server = uniqueName("tier-server");
const client = uniqueName("tier-client");
const other = uniqueName("tier-other");
const isolate = uniqueName("isolate-server");
const base = uniqueName("baseline-other");
const CNP = "/apis/policy.networking.k8s.io/v1beta1/clusternetworkpolicies";

async function send(method: "POST" | "PUT" | "DELETE", path: string, body?: object): Promise<Record<string, unknown>> {
  return (await requestJson(kc, method, path, body === undefined ? {} : { body })) as Record<string, unknown>;
}

async function createPod(namespace: string, name: string, ip: string): Promise<void> {
  const pod = { metadata: { name, labels: { app: name } }, spec: { containers: [{ name: "web", image: "nginx:1.27", ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }] }] } };
  const created = await send("POST", `/api/v1/namespaces/${namespace}/pods`, pod);
  await send("PUT", `/api/v1/namespaces/${namespace}/pods/${name}/status`, { ...created, status: { phase: "Running", podIP: ip, podIPs: [{ ip }] } });
}

const byName = (name: string) => ({ matchLabels: { "kubernetes.io/metadata.name": name } });

beforeAll(async () => {
  await installNetworkPolicyApiCrds(kc);
  for (const ns of [server, client, other]) await send("POST", "/api/v1/namespaces", { metadata: { name: ns } });
  await createPod(server, "api", "10.246.1.10");
  await createPod(client, "frontend", "10.246.2.10");
  await createPod(other, "batch", "10.246.3.10");
  await send("POST", CNP, {
    apiVersion: "policy.networking.k8s.io/v1beta1",
    kind: "ClusterNetworkPolicy",
    metadata: { name: isolate },
    spec: {
      tier: "Admin",
      priority: 10,
      subject: { namespaces: byName(server) },
      ingress: [
        { name: "accept-frontend-http", action: "Accept", from: [{ pods: { namespaceSelector: byName(client), podSelector: { matchLabels: { app: "frontend" } } } }], protocols: [{ tcp: { destinationPort: { number: 8080 } } }] },
        { name: "deny-all", action: "Deny", from: [{ namespaces: {} }] },
      ],
    },
  });
  // Written as v1alpha2 (the same stored object): the evaluator reads it once, at v1beta1.
  await send("POST", "/apis/policy.networking.k8s.io/v1alpha2/clusternetworkpolicies", {
    apiVersion: "policy.networking.k8s.io/v1alpha2",
    kind: "ClusterNetworkPolicy",
    metadata: { name: base },
    spec: { tier: "Baseline", priority: 1, subject: { namespaces: byName(other) }, egress: [{ name: "no-egress-to-client", action: "Deny", to: [{ namespaces: byName(client) }] }] },
  });
});

afterAll(async () => {
  await Promise.allSettled([send("DELETE", `${CNP}/${isolate}`), send("DELETE", `${CNP}/${base}`)]);
  await Promise.allSettled([server, client, other].map((name) => core.deleteNamespace({ name })));
});

describe("the tiers on a live cluster", () => {
  const api = () => `${server}/api`;
  const frontend = () => `${client}/frontend`;
  const batch = () => `${other}/batch`;

  it("netfence matrix reads the ClusterNetworkPolicies the API serves", async () => {
    const { matrix, notes } = await computeMatrix({ input: { kubeconfig: kubeconfigPath() }, traffic: { port: "8080" }, namespaces: [server, client, other], externals: [] });
    const allowed = matrixCells(matrix)
      .filter((c) => c.allowed)
      .map((c) => `${c.from} → ${c.to}`)
      .sort();
    expect({ allowed, notes: notes.filter((n) => n.includes(isolate) || n.includes(base)) }).toEqual({
      allowed: [`${frontend()} → ${api()}`, `${api()} → ${frontend()}`, `${api()} → ${batch()}`, `${frontend()} → ${batch()}`].sort(),
      notes: [],
    });
  });

  it("netfence check names the deciding tier, policy and rule", async () => {
    const printed: string[] = [];
    const log = jest.spyOn(console, "log").mockImplementation((line: unknown) => printed.push(String(line)));
    try {
      await expect(checkCommand.run({ kubeconfig: kubeconfigPath(), port: "8080", from: batch(), to: api() }, [])).resolves.toBe(1);
      await expect(checkCommand.run({ kubeconfig: kubeconfigPath(), port: "8080", from: frontend(), to: api() }, [])).resolves.toBe(0);
      await expect(checkCommand.run({ kubeconfig: kubeconfigPath(), port: "8080", from: batch(), to: frontend() }, [])).resolves.toBe(1);
    } finally {
      log.mockRestore();
    }
    expect(printed[0]).toContain(`✗ ingress of ${api()}: denied by Admin tier ClusterNetworkPolicy/${isolate} ingress[1] "deny-all" (priority 10)`);
    expect(printed[1]).toContain(`✓ ingress of ${api()}: allowed by Admin tier ClusterNetworkPolicy/${isolate} ingress[0] "accept-frontend-http" (priority 10)`);
    expect(printed[2]).toContain(`✗ egress of ${batch()}: denied by Baseline tier ClusterNetworkPolicy/${base} egress[0] "no-egress-to-client" (priority 1)`);
  });

  it("lists each ClusterNetworkPolicy once, at the preferred version discovery offers", async () => {
    const snapshot = await readClusterSnapshot(kc, { namespaces: [server] });
    const mine = snapshot.tierPolicies.filter((p) => [isolate, base].includes((p.metadata as { name: string }).name));
    expect(mine.map((p) => `${p.kind}/${(p.metadata as { name: string }).name} ${p.apiVersion}`).sort()).toEqual(
      [`ClusterNetworkPolicy/${isolate} policy.networking.k8s.io/v1beta1`, `ClusterNetworkPolicy/${base} policy.networking.k8s.io/v1beta1`].sort(),
    );
  });
});
