import { requestJson } from "../../src/io/client.js";
import { afterAll, beforeAll, describe, expect, it, jest } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import { checkCommand } from "../../src/cli/check.js";
import { computeMatrix } from "../../src/cli/matrix.js";
import { readClusterSnapshot } from "../../src/io/cluster-snapshot.js";
import type { NetworkPolicy } from "../../src/k8s/objects.js";
import { matrixCells } from "../../src/policy/reachability.js";
import { kubeConfig, kubeconfigPath, uniqueName } from "./helpers.js";

/**
 * `netfence matrix` against the real API server (no -f): namespaces, pods whose
 * status carries an IP (written through the status subresource; there is no
 * kubelet), and NetworkPolicies, read back and evaluated in-process through the
 * same function the CLI runs.
 */
const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);

const server = uniqueName("mx-server");
const client = uniqueName("mx-client");

/**
 * Writes wire JSON as kubectl does. client-node's typed clients expect model
 * classes (`_from` for `from`); plain JSON keeps these objects readable.
 */
async function send(method: "POST" | "PUT", path: string, body: object): Promise<Record<string, unknown>> {
  return (await requestJson(kc, method, path, { body })) as Record<string, unknown>;
}

async function createPod(namespace: string, name: string, labels: Record<string, string>, ip: string): Promise<void> {
  const pod = { metadata: { name, labels }, spec: { containers: [{ name: "web", image: "nginx:1.27", ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }] }] } };
  const created = await send("POST", `/api/v1/namespaces/${namespace}/pods`, pod);
  // No kubelet: the status (and so the pod IP) is written through the status subresource.
  await send("PUT", `/api/v1/namespaces/${namespace}/pods/${name}/status`, { ...created, status: { phase: "Running", podIP: ip, podIPs: [{ ip }] } });
}

async function createPolicy(namespace: string, policy: NetworkPolicy): Promise<void> {
  await send("POST", `/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies`, policy);
}

async function createNamespace(name: string, labels: Record<string, string>): Promise<void> {
  await send("POST", "/api/v1/namespaces", { metadata: { name, labels } });
}

beforeAll(async () => {
  await createNamespace(server, { role: "server" });
  await createNamespace(client, { role: "client" });
  await createPod(server, "api", { app: "api" }, "10.244.1.10");
  await createPod(server, "sidecar", { app: "sidecar" }, "10.244.1.11");
  await createPod(client, "frontend", { app: "frontend" }, "10.244.2.10");
  await createPod(client, "batch", { app: "batch" }, "10.244.2.11");
  await createPolicy(server, {
    metadata: { name: "api-from-frontend" },
    spec: {
      podSelector: { matchLabels: { app: "api" } },
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { role: "client" } }, podSelector: { matchLabels: { app: "frontend" } } }], ports: [{ port: "http" }] }],
    },
  });
  await createPolicy(client, { metadata: { name: "batch-no-egress" }, spec: { podSelector: { matchLabels: { app: "batch" } }, policyTypes: ["Egress"] } });
});

afterAll(async () => {
  await Promise.allSettled([core.deleteNamespace({ name: server }), core.deleteNamespace({ name: client })]);
});

function allowedPairs(cells: { from: string; to: string; allowed: boolean }[]): string[] {
  return cells.filter((c) => c.allowed).map((c) => `${c.from} → ${c.to}`).sort();
}

describe("netfence matrix on a live cluster", () => {
  const api = () => `${server}/api`;
  const sidecar = () => `${server}/sidecar`;
  const frontend = () => `${client}/frontend`;
  const batch = () => `${client}/batch`;

  it("gives the TCP/8080 matrix of the test namespaces", async () => {
    const { matrix } = await computeMatrix({ input: { kubeconfig: kubeconfigPath() }, traffic: { port: "8080" }, namespaces: [server, client], externals: ["192.0.2.10"] });
    expect(matrix.endpoints.map((e) => e.name)).toEqual([frontend(), batch(), api(), sidecar(), "192.0.2.10"].sort((a, b) => (a.includes("/") && b.includes("/") ? a.localeCompare(b) : a.includes("/") ? -1 : 1)));
    expect(allowedPairs(matrixCells(matrix))).toEqual(
      [
        `${frontend()} → ${api()}`,
        `${frontend()} → ${sidecar()}`,
        `${frontend()} → ${batch()}`,
        `${frontend()} → 192.0.2.10`,
        `${api()} → ${sidecar()}`,
        `${api()} → ${frontend()}`,
        `${api()} → ${batch()}`,
        `${api()} → 192.0.2.10`,
        `${sidecar()} → ${frontend()}`,
        `${sidecar()} → ${batch()}`,
        `${sidecar()} → 192.0.2.10`,
        `192.0.2.10 → ${frontend()}`,
        `192.0.2.10 → ${batch()}`,
        `192.0.2.10 → ${sidecar()}`,
      ].sort(),
    );
  });

  it("resolves --port http on each destination and denies ICMP to the isolated pod", async () => {
    const named = await computeMatrix({ input: { kubeconfig: kubeconfigPath() }, traffic: { port: "http" }, namespaces: [server, client], externals: [] });
    const icmp = await computeMatrix({ input: { kubeconfig: kubeconfigPath() }, traffic: { protocol: "ICMP" }, namespaces: [server, client], externals: [] });
    const toApi = (cells: ReturnType<typeof matrixCells>) => cells.filter((c) => c.to === api()).map((c) => `${c.from}: ${String(c.allowed)} ${String(c.port ?? "")}`).sort();
    expect(toApi(matrixCells(named.matrix))).toEqual([`${batch()}: false 8080`, `${frontend()}: true 8080`, `${sidecar()}: false 8080`].sort());
    expect(toApi(matrixCells(icmp.matrix))).toEqual([`${batch()}: false `, `${frontend()}: false `, `${sidecar()}: false `].sort());
  });

  it("check exits 0 when allowed and 1 when denied, and says why", async () => {
    const base = { kubeconfig: kubeconfigPath(), port: "8080" };
    const printed: string[] = [];
    const log = jest.spyOn(console, "log").mockImplementation((line: unknown) => printed.push(String(line)));
    try {
      await expect(checkCommand.run({ ...base, from: frontend(), to: api() }, [])).resolves.toBe(0);
      await expect(checkCommand.run({ ...base, from: sidecar(), to: api() }, [])).resolves.toBe(1);
      await expect(checkCommand.run({ ...base, from: batch(), to: sidecar() }, [])).resolves.toBe(1);
    } finally {
      log.mockRestore();
    }
    expect(printed[0]).toContain(`admitted by:\n        ${server}/api-from-frontend ingress[0]: from[0] pods app=frontend in namespaces role=client; ports[0] TCP/http`);
    expect(printed[1]).toContain(`no ingress rule admits ${sidecar()} on TCP/8080`);
    expect(printed[2]).toContain(`isolated for egress by ${client}/batch-no-egress`);
  });

  it("lists page by page", async () => {
    const snapshot = await readClusterSnapshot(kc, { namespaces: [server, client], limit: 1 });
    expect(snapshot.pods.map((p) => (p.metadata as { name: string }).name).sort()).toEqual(["api", "batch", "frontend", "sidecar"]);
    expect(snapshot.networkPolicies).toHaveLength(2);
    expect(snapshot.namespaces.map((n) => (n.metadata as { name: string }).name)).toEqual(expect.arrayContaining([server, client]));
  });
});
