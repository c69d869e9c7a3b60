import { execFile } from "node:child_process";
import { requestJson } from "../../src/io/client.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import { kubeConfig, kubeconfigPath, uniqueName } from "./helpers.js";

/**
 * `kubectl netfence diff --live -f profile.yaml` against the real API server:
 * "what will this profile cut?". Namespaces, pods with IPs (status written
 * through the subresource; there is no kubelet) and a NetworkPolicy are
 * created; the built plugin executable runs as a child process, as kubectl
 * would run it, and its printed pairs and exit code are checked.
 */
const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

const server = uniqueName("df-server");
const client = uniqueName("df-client");
const profile = uniqueName("df-lock");

async function send(method: "POST" | "PUT", path: string, body: object): Promise<Record<string, unknown>> {
  return (await requestJson(kc, method, path, { body })) as Record<string, unknown>;
}

async function createPod(namespace: string, name: string, ip: string): Promise<void> {
  const created = await send("POST", `/api/v1/namespaces/${namespace}/pods`, { metadata: { name, labels: { app: name } }, spec: { containers: [{ name: "web", image: "nginx:1.27", ports: [{ name: "http", containerPort: 8080 }] }] } });
  await send("PUT", `/api/v1/namespaces/${namespace}/pods/${name}/status`, { ...created, status: { phase: "Running", podIP: ip, podIPs: [{ ip }] } });
}

const API_FROM_FRONTEND = {
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name: "api-from-frontend", namespace: server },
  spec: {
    podSelector: { matchLabels: { app: "api" } },
    policyTypes: ["Ingress"],
    ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": client } }, podSelector: { matchLabels: { app: "frontend" } } }], ports: [{ port: "http" }] }],
  },
};

beforeAll(async () => {
  await send("POST", "/api/v1/namespaces", { metadata: { name: server } });
  await send("POST", "/api/v1/namespaces", { metadata: { name: client } });
  await createPod(server, "api", "10.245.1.10");
  await createPod(server, "sidecar", "10.245.1.11");
  await createPod(client, "frontend", "10.245.2.10");
  await createPod(client, "batch", "10.245.2.11");
  await send("POST", `/apis/networking.k8s.io/v1/namespaces/${server}/networkpolicies`, API_FROM_FRONTEND);
});

afterAll(async () => {
  await Promise.allSettled([core.deleteNamespace({ name: server }), core.deleteNamespace({ name: client })]);
});

/** Runs the built `kubectl-netfence` as kubectl runs a plugin: [exit code, stdout]. */
function plugin(args: string[]): Promise<[number, string, string]> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, "bin/kubectl-netfence.js"), ...args], { env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", KUBECONFIG: kubeconfigPath() } }, (err, stdout, stderr) => {
      resolve([err ? Number(err.code ?? 1) : 0, stdout, stderr]);
    });
  });
}

function write(name: string, text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "netfence-diff-live-")), name);
  writeFileSync(file, text);
  return file;
}

describe("kubectl netfence diff --live on a live cluster", () => {
  it("says what a deny-ingress profile will cut, attributed to the profile, and exits 1", async () => {
    const file = write("profile.yaml", `apiVersion: netfence.io/v1alpha1\nkind: IsolationProfile\nmetadata: {name: ${profile}}\nspec: {preset: deny-ingress, namespaces: {names: [${server}]}, allowDNS: false}\n`);
    const [code, stdout, stderr] = await plugin(["diff", "--live", "-f", file, "--port", "8080", "-n", `${server},${client}`]);
    expect({ code, stderr }).toEqual({ code: 1, stderr: "" });
    // frontend → api stays: api-from-frontend still admits it (rules of all policies are unioned).
    expect(stdout.trimEnd().split("\n")).toEqual([
      "3 of 12 pairs change (TCP/8080): 0 gained, 3 lost",
      "",
      `namespace ${server}`,
      `  IsolationProfile ${profile} (NetworkPolicy ${server}/netfence-${profile} added)`,
      `    - lost    ${client}/batch    → ${server}/sidecar  TCP/8080  ingress of ${server}/sidecar`,
      `    - lost    ${client}/frontend → ${server}/sidecar  TCP/8080  ingress of ${server}/sidecar`,
      `    - lost    ${server}/api      → ${server}/sidecar  TCP/8080  ingress of ${server}/sidecar`,
    ]);
  });

  it("gives the same pairs as JSON", async () => {
    const file = write("profile.yaml", `apiVersion: netfence.io/v1alpha1\nkind: IsolationProfile\nmetadata: {name: ${profile}}\nspec: {preset: deny-ingress, namespaces: {names: [${server}]}, allowDNS: false}\n`);
    const [code, stdout] = await plugin(["diff", "--live", "-f", file, "--port", "8080", "-n", `${server},${client}`, "-o", "json"]);
    const parsed = JSON.parse(stdout) as { lost: number; changes: { from: string; to: string; change: string }[] };
    expect({ code, lost: parsed.lost, pairs: parsed.changes.map((c) => `${c.change} ${c.from} → ${c.to}`) }).toEqual({
      code: 1,
      lost: 3,
      pairs: [`lost ${client}/batch → ${server}/sidecar`, `lost ${client}/frontend → ${server}/sidecar`, `lost ${server}/api → ${server}/sidecar`],
    });
  });

  it("exits 0 for a file that changes nothing (the live policy, as it is)", async () => {
    const file = write("same.yaml", JSON.stringify(API_FROM_FRONTEND));
    const [code, stdout] = await plugin(["diff", "--live", "-f", file, "--port", "8080,80", "-n", `${server},${client}`]);
    expect({ code, stdout: stdout.trimEnd() }).toEqual({ code: 0, stdout: "no connectivity change: 24 pairs compared (TCP/8080, TCP/80)" });
  });
});
