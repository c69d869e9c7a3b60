import { describe, expect, it } from "@jest/globals";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import * as k8s from "@kubernetes/client-node";
import { eventually, kubeconfigPath } from "./helpers.js";
import { operatorSuite } from "./suite.js";

/**
 * Effective isolation on the real control plane: a tenant's policy that
 * admits more than the profile turns the namespace Bypassed — in status, in
 * `kubectl get isop`, in an Event, in the operator's /metrics and in
 * `netfence explain --namespace` — and deleting it turns it back.
 */
const { kc, net, suite, profiles, namespace, operator } = operatorSuite("byp");
const events = kc.makeApiClient(k8s.EventsV1Api);
const run = promisify(execFile);
const BIN = fileURLToPath(new URL("../../bin/netfence.js", import.meta.url));

/** `kubectl get isop NAME`, as printed. */
async function kubectlGetIsop(name: string): Promise<string> {
  const kubectl = process.env.NETFENCE_TEST_KUBECTL;
  if (!kubectl) throw new Error("NETFENCE_TEST_KUBECTL is not set");
  return (await run(kubectl, [`--kubeconfig=${kubeconfigPath()}`, "get", "isop", name])).stdout;
}

/** `kubectl get isop NAME` as a user would read it: column name → value. */
function columns(table: string): Record<string, string> {
  const [header = "", row = ""] = table.trim().split("\n");
  const keys = header.trim().split(/\s+/);
  const values = row.trim().split(/\s+/);
  return Object.fromEntries(keys.map((k, i) => [k, values[i] ?? ""]));
}

const getIsop = async (name: string) => columns(await kubectlGetIsop(name));

/** `netfence explain --namespace NS` against the cluster, as a user runs it. */
async function explainLive(ns: string): Promise<string> {
  return (await run(process.execPath, [BIN, "explain", `--kubeconfig=${kubeconfigPath()}`, "--namespace", ns])).stdout;
}

/** `netfence_namespaces{profile,state}` as the operator's /metrics serves it, per state (absent series omitted). */
async function namespacesMetric(profile: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const line of (await operator().metricsText()).split("\n")) {
    if (!line.startsWith("netfence_namespaces{") || !line.includes(`profile="${profile}"`)) continue;
    const state = /state="([^"]+)"/.exec(line)?.[1];
    if (state) out[state] = Number(line.split(" ").pop());
  }
  return out;
}

/** Waits until the scraped gauge shows `expected` for the states it names. */
const metricShows = (profile: string, expected: Record<string, number>) =>
  eventually(async () => {
    const seen = await namespacesMetric(profile);
    return Object.entries(expected).every(([state, n]) => seen[state] === n) ? seen : undefined;
  }, `netfence_namespaces{profile="${profile}"} ${JSON.stringify(expected)}`);

async function eventReasons(profile: string): Promise<string[]> {
  const list = await events.listNamespacedEvent({ namespace: "default", fieldSelector: `regarding.name=${profile}` });
  return list.items.map((e) => `${e.reason ?? ""}: ${e.note ?? ""}`);
}

describe("a tenant policy that bypasses a profile", () => {
  it("turns the namespace Bypassed naming it, and deleting it turns it back, with the events and the column", async () => {
    const ns = await namespace("tenant");
    const name = `${suite}-deny`;
    await profiles.create(name, { preset: "deny-ingress", namespaces: { names: [ns] }, podSelector: { matchLabels: { app: "web" } } });
    await eventually(async () => ((await profiles.settled(name))?.status?.isolatedNamespaces === 1 ? true : undefined), "isolated");
    expect(await getIsop(name)).toMatchObject({ ISOLATED: "1", BYPASSED: "0", READY: "True" });
    await metricShows(name, { Isolated: 1, Bypassed: 0 });

    // A tenant's allow-all for other pods only (app=db, never app=web): no bypass.
    await net.createNamespacedNetworkPolicy({ namespace: ns, body: { metadata: { name: "only-db" }, spec: { podSelector: { matchLabels: { app: "db" } }, policyTypes: ["Ingress"], ingress: [{}] } } });
    await net.createNamespacedNetworkPolicy({ namespace: ns, body: { metadata: { name: "allow-all" }, spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{}] } } });
    const bypassed = await eventually(async () => {
      const p = await profiles.get(name);
      return p?.status?.bypassedNamespaces === 1 ? p : undefined;
    }, "Bypassed");
    const entry = bypassed.status?.namespaces?.find((n) => n.name === ns);
    expect(entry?.state).toBe("Bypassed");
    expect(entry?.bypassedBy).toHaveLength(1);
    expect(entry?.bypassedBy?.[0]).toMatch(new RegExp(`^${ns}/allow-all ingress\\[0\\]: any pod in any namespace`));
    expect(bypassed.status?.conditions?.find((c) => c.type === "Isolated")).toMatchObject({ status: "False", reason: "Bypassed" });
    expect(bypassed.status?.conditions?.find((c) => c.type === "Ready")).toMatchObject({ status: "True" });
    const table = await kubectlGetIsop(name);
    expect(columns(table)).toMatchObject({ ISOLATED: "0", BYPASSED: "1" });
    await metricShows(name, { Isolated: 0, Bypassed: 1 });
    const explained = await explainLive(ns);
    expect(explained).toMatch(new RegExp(`^Profile ${name} \\(${ns}/[^;]+; podSelector app=web; isolates Ingress\\): Bypassed$`, "m"));
    expect(explained).toContain(`bypassed by ${ns}/allow-all`);
    expect(explained).toMatch(new RegExp(`^\\s+Certain\\s+${ns}/allow-all ingress\\[0\\]: any pod in any namespace`, "m"));
    await eventually(async () => ((await eventReasons(name)).some((e) => e.startsWith("Bypassed: ") && e.includes(`${ns}/allow-all`)) ? true : undefined), "a Bypassed event naming the policy");

    await net.deleteNamespacedNetworkPolicy({ namespace: ns, name: "allow-all" });
    const cleared = await eventually(async () => {
      const p = await profiles.get(name);
      return p?.status?.bypassedNamespaces === 0 && p.status.isolatedNamespaces === 1 ? p : undefined;
    }, "isolated again");
    expect(cleared.status?.conditions?.find((c) => c.type === "Isolated")).toMatchObject({ status: "True" });
    const tableAfter = await kubectlGetIsop(name);
    expect(columns(tableAfter)).toMatchObject({ ISOLATED: "1", BYPASSED: "0" });
    await metricShows(name, { Isolated: 1, Bypassed: 0 });
    const after = await explainLive(ns);
    expect(after).toMatch(new RegExp(`^Profile ${name} \\(${ns}/[^;]+; podSelector app=web; isolates Ingress\\): Isolated$`, "m"));
    expect(after).toContain(`nothing beyond the profile from: ${ns}/only-db`);
    expect(after).not.toContain("allow-all");
    // A transcript for the docs and the issue, as a user sees it (copied from the CI log).
    const transcript = [`$ kubectl get isop ${name}`, table, `$ netfence explain --namespace ${ns}`, explained, `$ kubectl delete networkpolicy allow-all -n ${ns}`, `$ kubectl get isop ${name}`, tableAfter, `$ netfence explain --namespace ${ns}`, after];
    console.log(transcript.map((t) => t.trimEnd()).join("\n"));
    await eventually(async () => ((await eventReasons(name)).some((e) => e.startsWith("BypassCleared: ")) ? true : undefined), "a BypassCleared event");
    const reasons = (await eventReasons(name)).map((e) => e.split(":")[0]);
    expect(reasons.filter((r) => r === "Bypassed")).toHaveLength(1);
    expect(reasons.filter((r) => r === "BypassCleared")).toHaveLength(1);
  });
});
