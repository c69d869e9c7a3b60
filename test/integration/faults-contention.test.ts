import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { getJson } from "../../src/io/client.js";
import type { NetworkPolicy } from "../../src/k8s/objects.js";
import { policyName } from "../../src/policy/naming.js";
import { call, callIdempotent, closeTransports, MERGE_PATCH, NP_PATH, pool } from "../../bench/lib/kube.js";
import { installCrd } from "./crd.js";
import { eventually, kubeConfig, uniqueName } from "./helpers.js";
import { auditEvents, auditMark, Operator } from "./operator.js";
import { Profiles } from "./profiles.js";

/**
 * Other writers and odd input: a client that keeps undoing netfence's policy,
 * many selected namespaces deleted at once, and profiles the schema accepts
 * but the operator cannot use. (Profiles the schema rejects — 49 cases, each
 * message naming the field — are test/integration/crd-validation.test.ts.)
 */
const kc = kubeConfig();
const suite = uniqueName("contend");
const label = `netfence.io/test=${suite}`;
const profiles = new Profiles(kc, label);
const operatorNs = uniqueName("netfence-contend");
const created: string[] = [operatorNs];
let operator: Operator;

async function namespaces(prefix: string, count: number, labels: Record<string, string> = {}): Promise<string[]> {
  const names = Array.from({ length: count }, (_, i) => `${suite}-${prefix}-${String(i)}`);
  await pool(names, 32, (name) => call(kc, "POST", "/api/v1/namespaces", { metadata: { name, labels } }));
  created.push(...names);
  return names;
}

const condition = async (name: string, type: string) => (await profiles.get(name))?.status?.conditions?.find((c) => c.type === type);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  await installCrd(kc);
  await call(kc, "POST", "/api/v1/namespaces", { metadata: { name: operatorNs } });
  operator = await (await Operator.start({ namespace: operatorNs, profileSelector: label, extraArgs: ["--log-level=info"] })).ready();
});

afterAll(async () => {
  expect(await operator.stop()).toBe(0);
  await pool(created, 32, (name) => callIdempotent(kc, "DELETE", `/api/v1/namespaces/${name}`));
  closeTransports();
}, 60_000);

describe("another client keeps deleting and editing a managed policy", () => {
  it("heals every change with capped backoff, no hot loop, and reports Contested while it lasts", async () => {
    const [ns = ""] = await namespaces("fight", 1);
    const name = `${suite}-fight`;
    await profiles.create(name, { preset: "deny-all", namespaces: { names: [ns] } });
    await eventually(() => profiles.settled(name), "Ready");
    const path = `${NP_PATH(ns)}/${policyName(name)}`;
    const healsBefore = (await operator.metric("netfence_drift_heals_total")) ?? 0;

    // The other writer: undoes netfence's policy whenever it sees it, for 12 s.
    let undone = 0;
    let degradedSeen = false;
    let contestedSeen = false;
    const until = Date.now() + 12_000;
    while (Date.now() < until) {
      const current = (await getJson(kc, path).catch(() => undefined)) as NetworkPolicy | undefined;
      if (current?.spec.policyTypes?.includes("Egress")) {
        if (undone % 2 === 0) await callIdempotent(kc, "DELETE", path);
        else await call(kc, "PATCH", path, { spec: { policyTypes: ["Ingress"], egress: null } }, MERGE_PATCH);
        undone++;
      }
      if (!degradedSeen) {
        const p = await profiles.get(name);
        const d = p?.status?.conditions?.find((c) => c.type === "Degraded");
        degradedSeen = d?.status === "True" && d.reason === "Contested" && d.message.includes("another client keeps changing");
        contestedSeen = p?.status?.namespaces?.[0]?.state === "Contested";
      }
      await sleep(50);
    }
    const heals = ((await operator.metric("netfence_drift_heals_total")) ?? 0) - healsBefore;
    console.log(`12 s of fighting: the other client undid netfence ${String(undone)} times; netfence healed ${String(heals)} times`);
    expect(degradedSeen).toBe(true);
    expect(contestedSeen).toBe(true);
    expect(heals).toBeGreaterThanOrEqual(2);
    // No hot loop: after two free heals, netfence's restores (its creates and replaces; the other
    // client deletes and patches) are held back by the backoff: at least ~1 s apart, as the audit log shows.
    await auditMark();
    const restores = auditEvents((e) => (e.verb === "create" || e.verb === "update") && e.objectRef?.namespace === ns && e.objectRef.name === policyName(name) && (e.responseStatus?.code ?? 0) < 300)
      .map((e) => Date.parse(e.requestReceivedTimestamp))
      .sort((a, b) => a - b);
    const gaps = restores.slice(3).map((t, i) => t - (restores[i + 2] ?? t));
    expect(gaps.length).toBeGreaterThan(0);
    expect(gaps.filter((g) => g < 900)).toEqual([]);

    // The fight is over: the last change is healed within the cap, and Degraded clears.
    const restored = await eventually(async () => {
      const p = (await getJson(kc, path).catch(() => undefined)) as NetworkPolicy | undefined;
      return p?.spec.policyTypes?.includes("Egress") ? p : undefined;
    }, "the last change to be healed", 15_000);
    expect(restored.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    await eventually(() => profiles.settled(name), "Ready again once the fight is over", 40_000, 500);
    expect((await condition(name, "Degraded"))?.status).toBe("False");
  }, 120_000);
});

describe("many selected namespaces deleted at once", () => {
  it("drops them from status without a retry storm", async () => {
    const team = uniqueName("team");
    const names = await namespaces("mass", 60, { team });
    const name = `${suite}-mass`;
    await profiles.create(name, { preset: "deny-ingress", namespaces: { selector: { matchLabels: { team } } } });
    await eventually(async () => ((await profiles.settled(name))?.status?.selectedNamespaces === 60 ? true : undefined), "60 namespaces isolated");
    const retriesBefore = (await operator.metric("netfence_reconcile_total", 'result="retry"')) ?? 0;
    const errorsBefore = (await operator.metric("netfence_reconcile_total", 'result="error"')) ?? 0;

    await pool(names.slice(10), 50, (ns) => call(kc, "DELETE", `/api/v1/namespaces/${ns}`));
    const status = await eventually(async () => {
      const p = await profiles.settled(name);
      return p?.status?.selectedNamespaces === 10 ? p : undefined;
    }, "status to drop the deleted namespaces", 60_000, 250);
    expect(status.status?.isolatedNamespaces).toBe(10);
    expect((status.status?.namespaces ?? []).map((n) => n.name).sort()).toEqual(names.slice(0, 10).sort());
    // A positive signal that later passes ran: touch the profile and wait for one more reconcile.
    const passes = (await operator.metric("netfence_reconcile_total")) ?? 0;
    await profiles.patchMeta(name, { annotations: { "netfence.io/test-touch": "1" } });
    await eventually(async () => (((await operator.metric("netfence_reconcile_total")) ?? 0) > passes ? true : undefined), "another pass");
    const retries = ((await operator.metric("netfence_reconcile_total", 'result="retry"')) ?? 0) - retriesBefore;
    const errors = ((await operator.metric("netfence_reconcile_total", 'result="error"')) ?? 0) - errorsBefore;
    console.log(`50 namespaces deleted at once: ${String(retries)} retried and ${String(errors)} failed reconciles`);
    expect(errors).toBe(0);
    expect(retries).toBeLessThanOrEqual(3); // a count, not a time: deleted namespaces are not errors to retry
  }, 120_000);
});

describe("profiles valid for the schema but not usable", () => {
  it.each([
    ["only system namespaces by name", { names: ["kube-system", "kube-public"] }, "OnlySystemNamespaces"],
    ["only netfence's own namespace", { names: [operatorNs] }, "OnlySystemNamespaces"],
    ["a selector that matches only system namespaces", { selector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } } }, "OnlySystemNamespaces"],
    ["a namespace that does not exist", { names: ["no-such-namespace-netfence"] }, "NoNamespacesSelected"],
  ])("%s ends in Degraded with a clear reason, never a crash", async (_title, selection, reason) => {
    const name = `${suite}-bad-${reason.toLowerCase()}-${Math.random().toString(36).slice(2, 6)}`;
    await profiles.create(name, { preset: "deny-all", namespaces: selection });
    const degraded = await eventually(async () => {
      const c = await condition(name, "Degraded");
      return c?.status === "True" ? c : undefined;
    }, "Degraded");
    expect(degraded.reason).toBe(reason);
    expect(degraded.message).toContain("spec.namespaces");
    expect((await fetch(`http://127.0.0.1:${String(operator.healthPort)}/healthz`)).status).toBe(200);
    await profiles.delete(name);
  });
});
