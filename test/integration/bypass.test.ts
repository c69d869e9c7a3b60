import { describe, expect, it } from "@jest/globals";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import * as k8s from "@kubernetes/client-node";
import { eventually, kubeconfigPath } from "./helpers.js";
import { operatorSuite } from "./suite.js";

/**
 * Effective isolation on the real control plane: a tenant's policy that
 * admits more than the profile turns the namespace Bypassed — in status, in
 * `kubectl get isop`, in an Event — and deleting it turns it back.
 */
const { kc, net, suite, profiles, namespace } = operatorSuite("byp");
const events = kc.makeApiClient(k8s.EventsV1Api);
const run = promisify(execFile);

/** `kubectl get isop NAME` as a user would read it: column name → value. */
async function getIsop(name: string): Promise<Record<string, string>> {
  const kubectl = process.env.NETFENCE_TEST_KUBECTL;
  if (!kubectl) throw new Error("NETFENCE_TEST_KUBECTL is not set");
  const { stdout } = await run(kubectl, [`--kubeconfig=${kubeconfigPath()}`, "get", "isop", name]);
  const [header = "", row = ""] = stdout.trim().split("\n");
  const keys = header.trim().split(/\s+/);
  const values = row.trim().split(/\s+/);
  return Object.fromEntries(keys.map((k, i) => [k, values[i] ?? ""]));
}

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
    expect(await getIsop(name)).toMatchObject({ ISOLATED: "0", BYPASSED: "1" });
    await eventually(async () => ((await eventReasons(name)).some((e) => e.startsWith("Bypassed: ") && e.includes(`${ns}/allow-all`)) ? true : undefined), "a Bypassed event naming the policy");

    await net.deleteNamespacedNetworkPolicy({ namespace: ns, name: "allow-all" });
    const cleared = await eventually(async () => {
      const p = await profiles.get(name);
      return p?.status?.bypassedNamespaces === 0 && p.status.isolatedNamespaces === 1 ? p : undefined;
    }, "isolated again");
    expect(cleared.status?.conditions?.find((c) => c.type === "Isolated")).toMatchObject({ status: "True" });
    expect(await getIsop(name)).toMatchObject({ ISOLATED: "1", BYPASSED: "0" });
    await eventually(async () => ((await eventReasons(name)).some((e) => e.startsWith("BypassCleared: ")) ? true : undefined), "a BypassCleared event");
    const reasons = (await eventReasons(name)).map((e) => e.split(":")[0]);
    expect(reasons.filter((r) => r === "Bypassed")).toHaveLength(1);
    expect(reasons.filter((r) => r === "BypassCleared")).toHaveLength(1);
  });
});
