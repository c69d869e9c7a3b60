/**
 * Real packets through Calico felix v3.31.0 enforcing AdminNetworkPolicies and
 * the BaselineAdminNetworkPolicy (v1alpha1, Calico tiers `adminnetworkpolicy`
 * and `baselineadminnetworkpolicy`) on top of random NetworkPolicies: `netfence
 * matrix -o json` (the built CLI, reading the live cluster, tiers found by API
 * discovery) against the kernel, TCP/80, TCP/81, UDP/53 and ICMP on every pair.
 * Takes the packet machine in turn with the other packet test files
 * (dataplane/machine-lock.ts).
 *
 * Reproduce a disagreement with the seed it prints:
 *   NETFENCE_DATAPLANE_TIER_SEEDS=<seed> npm test -- test/integration/dataplane-tiers.test.ts
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import type { DataPlane } from "../../src/dataplane/dataplane.js";
import { requestJson } from "../../src/io/client.js";
import type { NetworkPolicy } from "../../src/k8s/objects.js";
import { createNamespace, describeResult, probeSpec, startDataPlane } from "./dataplane/harness.js";
import { takePacketMachine, type MachineTurn } from "./dataplane/machine-lock.js";
import { netfenceMatrix } from "./dataplane/matrix-cli.js";
import { randomPolicies, TRAFFICS, WORLD_PODS, world } from "./dataplane/random-cluster.js";
import { randomTierPolicies, type TierObject } from "./dataplane/random-tiers.js";
import { kubeConfig, kubeconfigPath, uniqueName } from "./helpers.js";
import { deleteNamespaces } from "./walkthrough.js";

const kc = kubeConfig();
const namespaces: string[] = [];
let plane: DataPlane;
let started: DataPlane | undefined;
let turn: MachineTurn | undefined;
const DEFAULT_SEED_COUNT = 3;
const PROBES_PER_SEED = WORLD_PODS * (WORLD_PODS - 1) * TRAFFICS.length;
const GROUP = "/apis/policy.networking.k8s.io/v1alpha1";
const PLURAL: Record<string, string> = { AdminNetworkPolicy: "adminnetworkpolicies", BaselineAdminNetworkPolicy: "baselineadminnetworkpolicies" };
let written: TierObject[] = [];

beforeAll(async () => {
  turn = await takePacketMachine(25 * 60_000);
  plane = started = await startDataPlane();
}, 60 * 60_000);

afterAll(async () => {
  try {
    await removeTiers();
    await started?.stop();
    await deleteNamespaces(kc, namespaces);
  } finally {
    await turn?.release();
  }
}, 120_000);

async function removeTiers(): Promise<void> {
  await Promise.allSettled(written.map((o) => requestJson(kc, "DELETE", `${GROUP}/${PLURAL[o.kind] ?? ""}/${o.metadata.name}`)));
  written = [];
}

function reproduce(seed: number): string {
  return `NETFENCE_DATAPLANE_TIER_SEEDS=${String(seed)} npm test -- test/integration/dataplane-tiers.test.ts`;
}

describe("differential with the Admin and Baseline tiers: netfence matrix against the kernel", () => {
  const envSeeds = process.env.NETFENCE_DATAPLANE_TIER_SEEDS;
  const base = Date.now() % 1_000_000;
  const seeds = envSeeds ? envSeeds.split(",").map(Number) : Array.from({ length: DEFAULT_SEED_COUNT }, (_, i) => base + i);

  it(`agrees on every probe of ${String(seeds.length)} seeded random sets of AdminNetworkPolicies, a BaselineAdminNetworkPolicy and NetworkPolicies (${String(seeds.length * PROBES_PER_SEED)} probes)`, async () => {
    const names = { a: uniqueName("dpt-a"), b: uniqueName("dpt-b"), c: uniqueName("dpt-c") };
    const w = world(names);
    for (const ns of w.namespaces) {
      const { "kubernetes.io/metadata.name": _auto, ...labels } = ns.metadata.labels ?? {};
      await createNamespace(kc, ns.metadata.name, labels);
      namespaces.push(ns.metadata.name);
    }
    await plane.addPods(w.pods);
    const inNamespaces = Object.values(names);
    const disagreements: string[] = [];
    let total = 0;
    let allowed = 0;
    for (const seed of seeds) {
      process.stderr.write(`[dataplane] tier seed ${String(seed)}; reproduce with ${reproduce(seed)}\n`);
      const policies = randomPolicies(seed, names);
      const tiers = randomTierPolicies(seed, names);
      await replace(inNamespaces, policies, tiers);
      const [runs] = await Promise.all([
        Promise.all(TRAFFICS.map((traffic) => netfenceMatrix(kubeconfigPath(), inNamespaces, traffic))),
        // The canary orders NetworkPolicy events; a second round gives felix the tier policies written before the first.
        plane.sync().then(() => plane.sync()).then(() => plane.forgetConnections()),
      ]);
      const cases = runs.flatMap((run, t) => run.records.map((r) => ({ spec: probeSpec(r.from, r.to, TRAFFICS[t] ?? { protocol: "ICMP" }), predicted: r.allowed, command: run.command, notes: run.notes })));
      const results = await plane.probeAll(cases.map((c) => c.spec));
      total += results.length;
      allowed += results.filter((r) => r.allowed).length;
      const wrong = results.flatMap((r, k) => {
        const c = cases[k];
        return c && r.allowed !== c.predicted ? [`seed ${String(seed)}: ${describeResult(r)}: \`${c.command}\` says ${c.predicted ? "allowed" : "denied"}, packets ${r.allowed ? "got through" : `did not (${r.detail})`}`] : [];
      });
      disagreements.push(...wrong);
      if (wrong.length > 0) process.stderr.write(`[dataplane] disagreement on tier seed ${String(seed)}:\n${wrong.slice(0, 20).join("\n")}\ntier policies:\n${JSON.stringify(tiers, null, 1)}\nnotes: ${cases[0]?.notes ?? ""}\n`);
    }
    process.stderr.write(`[dataplane] tier differential: seeds ${seeds.join(",")}: ${String(total - disagreements.length)}/${String(total)} probes agree (${String(allowed)} allowed on the wire)\n`);
    expect(disagreements).toEqual([]);
    expect(total).toBe(seeds.length * PROBES_PER_SEED);
    // Not vacuous: the tiers both let packets through and stopped some.
    expect(allowed).toBeGreaterThan(0);
    expect(allowed).toBeLessThan(total);
  }, 20 * 60_000);
});

async function replace(inNamespaces: string[], policies: NetworkPolicy[], tiers: TierObject[]): Promise<void> {
  const net = kc.makeApiClient(k8s.NetworkingV1Api);
  await Promise.all(inNamespaces.map((namespace) => net.deleteCollectionNamespacedNetworkPolicy({ namespace })));
  await removeTiers();
  for (const p of policies) await requestJson(kc, "POST", `/apis/networking.k8s.io/v1/namespaces/${p.metadata.namespace ?? ""}/networkpolicies`, { body: p });
  for (const t of tiers) {
    await requestJson(kc, "POST", `${GROUP}/${PLURAL[t.kind] ?? ""}`, { body: t });
    written.push(t);
  }
}
