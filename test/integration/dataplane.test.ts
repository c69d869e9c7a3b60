/**
 * Real packets through Calico felix enforcing the NetworkPolicies on this
 * machine (src/dataplane/). One file, so the packet tests never run at once
 * (one felix, one node per machine); in order:
 *  1. the walkthrough, with `netfence run` reconciling the sample profiles:
 *     s1–s5 and s5 after labelling nginx3, ping and TCP/80, equal to expect.json;
 *  2. `netfence matrix -o json` (the built CLI, reading the live cluster)
 *     against the kernel on seeded random NetworkPolicy sets, each with the
 *     policies netfence renders for a random IsolationProfile: TCP/80, TCP/81,
 *     UDP/53 and ICMP on every pair;
 *  3. tear-down: nothing of the run is left on the machine, a crashed run is
 *     swept by the next, and Calico state no run of ours recorded is left alone.
 * demo.test.ts also brings up a data plane: the two files take turns
 * (dataplane/machine-lock.ts).
 *
 * Reproduce a differential disagreement with the seed it prints (before its
 * first write), running only the differential test:
 *   NETFENCE_DATAPLANE_SEEDS=<seed> npm test -- test/integration/dataplane.test.ts -t differential
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import type { DataPlane } from "../../src/dataplane/dataplane.js";
import { felixIpsets, felixIptablesChains, felixNftTables, ownRoutes } from "../../src/dataplane/host.js";
import { RUN_DIR } from "../../src/dataplane/names.js";
import { listNetns } from "../../src/dataplane/wiring.js";
import { run, tryRun } from "../../src/dataplane/exec.js";
import { STATES, loadProbes, type Probe } from "../../src/demo/walkthrough.js";
import { requestJson } from "../../src/io/client.js";
import { readManifests, withoutSource } from "../../src/io/manifests.js";
import type { NetworkPolicy, Pod } from "../../src/k8s/objects.js";
import { renderProfile } from "../../src/policy/render.js";
import { formatIssues, parseProfile } from "../../src/api/parse.js";
import { installCrd } from "./crd.js";
import { installNetworkPolicyApiCrds } from "../../src/controlplane/network-policy-api.js";
import { createNamespace, describeResult, labelPod, probeSpec, startDataPlane } from "./dataplane/harness.js";
import { takePacketMachine, type MachineTurn } from "./dataplane/machine-lock.js";
import { netfenceMatrix } from "./dataplane/matrix-cli.js";
import { randomPolicies, randomProfileSpec, TRAFFICS, WORLD_PODS, world } from "./dataplane/random-cluster.js";
import { checkIsolatedVerdicts } from "./dataplane/verdict-check.js";
import { eventually, kubeConfig, kubeconfigPath, uniqueName } from "./helpers.js";
import { Operator } from "./operator.js";
import { Profiles } from "./profiles.js";
import { deleteNamespaces, FIXTURES } from "./walkthrough.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const kc = kubeConfig();
const suite = uniqueName("dp");
const namespaces: string[] = [];
let plane: DataPlane;
/** The plane beforeAll started, if it got that far. */
let started: DataPlane | undefined;
let turn: MachineTurn | undefined;
const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);
/** The differential's seeds when NETFENCE_DATAPLANE_SEEDS names none: 6 × 528 = 3,168 probes. */
const DEFAULT_SEED_COUNT = 6;
/** Every ordered pair of the random world's pods, with each traffic. */
const PROBES_PER_SEED = WORLD_PODS * (WORLD_PODS - 1) * TRAFFICS.length;

beforeAll(async () => {
  turn = await takePacketMachine(25 * 60_000);
  if (turn.waitedSeconds > 1) process.stderr.write(`[dataplane] waited ${turn.waitedSeconds.toFixed(0)}s for the other packet test file\n`);
  plane = started = await startDataPlane();
}, 60 * 60_000);

afterAll(async () => {
  try {
    await started?.stop();
    await deleteNamespaces(kc, namespaces);
  } finally {
    await turn?.release();
  }
}, 120_000);

describe("the walkthrough on real packets", () => {
  const label = `netfence.io/test=${suite}`;
  const profiles = new Profiles(kc, label);
  const operatorNs = uniqueName("netfence-system");
  let operator: Operator | undefined;
  const names: Record<string, string> = { dev: uniqueName("dev"), test: uniqueName("test") };
  /** The profile the walkthrough left applied (s5). */
  let lastProfile: string | undefined;

  afterAll(async () => {
    await operator?.stop();
  });

  it("netfence run reconciling the sample profiles gives every state's ping and TCP/80 grid, enforced with NetworkPolicies and in the Admin tier", async () => {
    const started = Date.now();
    await installCrd(kc);
    // ClusterNetworkPolicy served too: felix enforces only AdminNetworkPolicy, which Auto must pick (detected from ClusterInformation).
    await installNetworkPolicyApiCrds(kc);
    const rename = (ref: string) => {
      const [ns = "", pod = ""] = ref.split("/");
      return `${names[ns] ?? ns}/${pod}`;
    };
    await createNamespace(kc, operatorNs, {});
    namespaces.push(operatorNs, ...Object.values(names));
    for (const [original, name] of Object.entries(names)) await createNamespace(kc, name, { walkthrough: original });
    const objects = (await readManifests([`${FIXTURES}cluster.yaml`])).map(withoutSource);
    const pods = (objects.filter((o) => o.kind === "Pod") as unknown as Pod[]).map((pod) => ({
      pod: { ...pod, metadata: { ...pod.metadata, namespace: names[pod.metadata.namespace ?? ""] ?? "" } },
      ip: pod.status?.podIP ?? "",
    }));
    await plane.addPods(pods);
    operator = await (await Operator.start({ namespace: operatorNs, profileSelector: label, dataPlane: "detect" })).ready();

    let previous: string | undefined;
    const report: string[] = [];
    let probes = 0;
    for (const enforcement of ["NetworkPolicy", "AdminTier", "Auto"] as const) {
      for (const state of STATES) {
        if (previous) {
          await profiles.delete(previous);
          previous = undefined;
        }
        if (state.sample) {
          const name = `${suite}-${state.id}-${enforcement.toLowerCase()}`;
          await profiles.fromSample(`${ROOT}${state.sample}`, name, (ns) => names[ns] ?? ns, { enforcement });
          const ready = await eventually(() => profiles.settled(name), `${state.id}: profile Ready`, 60_000);
          // AdminTier, and Auto on this data plane: Calico v3.31.0 detected, so the AdminNetworkPolicy (the ClusterNetworkPolicy API is served too, but nothing enforces it).
          expect({ state: state.id, mode: ready.status?.enforcement?.mode, kind: ready.status?.enforcement?.kind, evidence: ready.status?.enforcement?.dataPlane.evidence }).toEqual(
            enforcement === "NetworkPolicy" ? { state: state.id, mode: "NetworkPolicy", kind: undefined, evidence: "detected" } : { state: state.id, mode: "AdminTier", kind: "AdminNetworkPolicy", evidence: "detected" },
          );
          previous = name;
          lastProfile = name;
        }
        for (const step of state.steps) {
          if (step.label) await labelPod(kc, names[step.label.namespace] ?? "", step.label.pod, step.label.key, step.label.value);
          // The operator has written (or removed) the policies; wait until felix enforces them.
          await eventually(async () => (previous === undefined ? ((await policiesIn(names.dev ?? "")) === 0 && (await adminPolicies()) === 0 ? true : undefined) : true), "the previous profile's policies to be gone", 60_000);
          await plane.sync();
          await plane.forgetConnections();
          const expected = (await loadProbes(ROOT, step)).filter((p: Probe) => p.protocol === "ICMP" || p.protocol === "TCP");
          const results = await plane.probeAll(expected.map((p) => probeSpec(rename(p.from), rename(p.to), p.protocol === "ICMP" ? { protocol: "ICMP" } : { protocol: "TCP", port: p.port ?? 80 })));
          probes += results.length;
          const measured = results.map((r, i) => ({ probe: describeResult(r), allowed: r.allowed, expected: expected[i]?.allowed }));
          report.push(`${enforcement} ${step.expect}: ${String(measured.filter((m) => m.allowed === m.expected).length)}/${String(measured.length)}`);
          expect({ enforcement, step: step.expect, measured: measured.map(({ probe, allowed }) => ({ probe, allowed })) }).toEqual({
            enforcement,
            step: step.expect,
            measured: measured.map(({ probe, expected: allowed }) => ({ probe, allowed })),
          });
        }
      }
      // The next round starts from the walkthrough's cluster: the labels this round's steps added are removed.
      for (const state of STATES) for (const step of state.steps) if (step.label) await labelPod(kc, names[step.label.namespace] ?? "", step.label.pod, step.label.key, null);
    }
    lastProfile = previous;
    process.stderr.write(`[dataplane] walkthrough: ${String(probes)} probes, ${report.join(", ")} in ${seconds(started)}s\n`);
  }, 10 * 60_000);

  it("under s3 with NetworkPolicy enforcement, a tenant's allow-all ingress in dev makes status Bypassed and a real ping from test reach dev; removing it flips both back", async () => {
    if (!operator) throw new Error("the walkthrough test starts the operator and the pods first");
    const dev = names.dev ?? "";
    const from = `${names.test ?? ""}/nginx2`;
    const to = `${dev}/nginx1`;
    if (lastProfile) await profiles.delete(lastProfile);
    await eventually(async () => ((await policiesIn(dev)) === 0 && (await adminPolicies()) === 0 ? true : undefined), "the walkthrough's last policy gone", 60_000);
    const name = `${suite}-s3-bypass`;
    await profiles.fromSample(`${ROOT}deploy/samples/walkthrough/s3-deny-all.yaml`, name, (ns) => names[ns] ?? ns, { enforcement: "NetworkPolicy" });
    const state = async () => (await profiles.get(name))?.status?.namespaces?.find((n) => n.name === dev);
    const ping = () => pingOnce(from, to);
    await eventually(async () => ((await state())?.state === "Isolated" ? true : undefined), "s3 Isolated", 60_000);
    expect(await ping()).toBe(false);

    await requestJson(kc, "POST", `/apis/networking.k8s.io/v1/namespaces/${dev}/networkpolicies`, { body: tenantAllowAll(dev) });
    const bypassed = await eventually(async () => {
      const s = await state();
      return s?.state === "Bypassed" ? s : undefined;
    }, "status Bypassed", 60_000);
    expect(bypassed.bypassedBy?.[0]).toContain(`${dev}/allow-all-ingress ingress[0]`);
    expect(await ping()).toBe(true);

    await requestJson(kc, "DELETE", `/apis/networking.k8s.io/v1/namespaces/${dev}/networkpolicies/allow-all-ingress`);
    await eventually(async () => ((await state())?.state === "Isolated" ? true : undefined), "status Isolated again", 60_000);
    expect(await ping()).toBe(false);
    await profiles.delete(name);
  }, 5 * 60_000);

  it("under s3 in the Admin tier, the same tenant allow-all lets no ping from test into dev, and status says dev is tenant-proof in the cluster", async () => {
    if (!operator) throw new Error("the walkthrough test starts the operator and the pods first");
    const dev = names.dev ?? "";
    const from = `${names.test ?? ""}/nginx2`;
    const to = `${dev}/nginx1`;
    await eventually(async () => ((await policiesIn(dev)) === 0 && (await adminPolicies()) === 0 ? true : undefined), "the previous profile's policies gone", 60_000);
    const name = `${suite}-s3-admin`;
    await profiles.fromSample(`${ROOT}deploy/samples/walkthrough/s3-deny-all.yaml`, name, (ns) => names[ns] ?? ns, { enforcement: "AdminTier" });
    const state = async () => (await profiles.get(name))?.status?.namespaces?.find((n) => n.name === dev);
    const ping = () => pingOnce(from, to);
    await eventually(async () => ((await state())?.tenantProof === "InCluster" ? true : undefined), "s3 tenant-proof in the cluster", 60_000);
    expect(await ping()).toBe(false);

    await requestJson(kc, "POST", `/apis/networking.k8s.io/v1/namespaces/${dev}/networkpolicies`, { body: tenantAllowAll(dev) });
    // The allow-all still opens dev to addresses outside the cluster (the Admin tier's ingress has none), and status says so; in the cluster it changes nothing.
    const judged = await eventually(async () => {
      const s = await state();
      return s?.state === "Bypassed" ? s : undefined;
    }, "status naming the tenant's rule", 60_000);
    expect({ tenantProof: judged.tenantProof, message: judged.message }).toEqual({ tenantProof: "InCluster", message: expect.stringContaining("from outside the cluster") });
    expect(await ping()).toBe(false);
    await requestJson(kc, "DELETE", `/apis/networking.k8s.io/v1/namespaces/${dev}/networkpolicies/allow-all-ingress`);
    await profiles.delete(name);
    process.stderr.write(`[dataplane] s3 + tenant allow-all: NetworkPolicy enforcement lets test → dev ping through; AdminNetworkPolicy enforcement drops it\n`);
  }, 5 * 60_000);

  /** One ping once felix enforces everything written so far, on a new flow. */
  async function pingOnce(from: string, to: string): Promise<boolean | undefined> {
    await plane.sync();
    await plane.forgetConnections();
    const [result] = await plane.probeAll([{ from, to, protocol: "ICMP" }]);
    return result?.allowed;
  }

  const tenantAllowAll = (namespace: string) => ({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "allow-all-ingress", namespace }, spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{}] } });

  const windows: string[] = [];

  /**
   * The birth and the death of a namespace under each enforcement. Birth: the
   * namespace is created with the profile's label and a pod at once, and
   * probes go both ways every few milliseconds: the new pod → test (never
   * isolated) says from when the pod is routable (felix drops traffic of an
   * interface it has not programmed), test → the new pod is the isolation.
   * Death: a finalizer keeps the pod, so the namespace stays Terminating after
   * the namespace controller has deleted its NetworkPolicies.
   */
  it.each(["NetworkPolicy", "AdminTier"] as const)("birth and death windows under %s enforcement, by ping", async (enforcement) => {
    if (!operator) throw new Error("the walkthrough test starts the operator and the pods first");
    const tag = enforcement.toLowerCase();
    const selector = { "netfence.io/isolate": `${suite}-${tag}` };
    const name = `${suite}-birth-${tag}`;
    await profiles.create(name, { preset: "deny-ingress", namespaces: { selector: { matchLabels: selector } }, enforcement });
    await eventually(() => profiles.settled(name), `${name} Ready`, 60_000);
    if (enforcement === "AdminTier") await eventually(async () => ((await adminPolicies()) > 0 ? true : undefined), "the profile's AdminNetworkPolicy", 60_000);
    await plane.sync();

    const ns = uniqueName(`born-${tag}`);
    namespaces.push(ns);
    const ip = plane.allocateIp();
    const source = `${names.test ?? ""}/nginx2`;
    const sourceIp = plane.pod(source)?.ip ?? "";
    const target = `${ns}/newborn`;
    const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "newborn", namespace: ns, labels: { run: "newborn" } }, spec: { containers: [{ name: "newborn", image: "nginx:1.15-alpine" }] } } as Pod;
    const t0 = performance.now();
    await createNamespace(kc, ns, selector);
    const wired = { done: false };
    const adding = plane.addPods([{ pod, ip }]).then(() => {
      wired.done = true;
    });
    const samples: { at: number; inbound: boolean; outbound: boolean }[] = [];
    let routableAt: number | undefined;
    while (performance.now() - t0 < 20_000 && (routableAt === undefined || performance.now() - t0 - routableAt < 3000)) {
      const at = performance.now() - t0;
      const [inbound, outbound] = await Promise.all([
        plane.probe({ from: source, to: ip, protocol: "ICMP" }, { retryDenied: false, timeoutMs: 100 }),
        wired.done ? plane.probe({ from: target, to: sourceIp, protocol: "ICMP" }, { retryDenied: false, timeoutMs: 100 }) : undefined,
      ]);
      samples.push({ at, inbound: inbound.allowed, outbound: outbound?.allowed ?? false });
      if (routableAt === undefined && outbound?.allowed) routableAt = at;
    }
    await adding;
    const letIn = samples.filter((s) => s.inbound);
    const birth = { routable: routableAt !== undefined, probes: samples.length, allowedIn: letIn.length, lastAllowedMs: letIn.length ? Math.round((letIn[letIn.length - 1]?.at ?? 0) - (routableAt ?? 0)) : 0 };
    // The oracle can fail both ways: the pod became routable, and the last probe in was denied (the NetworkPolicy arrived too).
    expect({ routable: birth.routable, lastIn: samples[samples.length - 1]?.inbound }).toEqual({ routable: true, lastIn: false });
    if (enforcement === "AdminTier") expect(birth.allowedIn).toBe(0);

    // Death: the pod is held, the namespace deleted; the namespace controller deletes its NetworkPolicies and waits for the pod.
    await requestJson(kc, "PATCH", `/api/v1/namespaces/${ns}/pods/newborn`, { body: { metadata: { finalizers: ["netfence.io/test-hold"] } }, contentType: "application/merge-patch+json" });
    await requestJson(kc, "DELETE", `/api/v1/namespaces/${ns}`);
    await eventually(async () => ((await policiesIn(ns)) === 0 ? true : undefined), `${ns}'s NetworkPolicies deleted by the namespace controller`, 60_000);
    await plane.sync();
    await plane.forgetConnections();
    const [inbound, outbound] = await plane.probeAll([
      { from: source, to: target, protocol: "ICMP" },
      { from: target, to: source, protocol: "ICMP" },
    ]);
    const terminating = (await requestJson(kc, "GET", `/api/v1/namespaces/${ns}`)) as { status?: { phase?: string } };
    expect({ phase: terminating.status?.phase, routable: outbound?.allowed, inbound: inbound?.allowed }).toEqual({ phase: "Terminating", routable: true, inbound: enforcement === "NetworkPolicy" });

    // Birth while netfence is away (a restart, an upgrade, a leader hand-over): the NetworkPolicy waits for it; the Admin-tier object is there already.
    await operator.stop();
    const away = uniqueName(`away-${tag}`);
    namespaces.push(away);
    await createNamespace(kc, away, selector);
    await plane.addPods([{ pod: { ...pod, metadata: { ...pod.metadata, namespace: away } } }]);
    const awayPod = `${away}/newborn`;
    const whileAway = { routable: await pingOnce(awayPod, source), inbound: await pingOnce(source, awayPod) };
    operator = await (await Operator.start({ namespace: operatorNs, profileSelector: label, dataPlane: "detect" })).ready();
    const back = performance.now();
    await eventually(async () => ((await pingOnce(source, awayPod)) === false ? true : undefined), `${away} isolated once netfence is back`, 60_000, 50);
    const closedMs = Math.round(performance.now() - back);
    expect(whileAway).toEqual({ routable: true, inbound: enforcement === "NetworkPolicy" });
    await plane.removePod(awayPod);
    windows.push(
      `${enforcement}: birth ${String(birth.allowedIn)}/${String(birth.probes)} probes into the new pod allowed (routable ${String(Math.round(routableAt ?? 0))} ms after the namespace was created; last allowed ${String(birth.lastAllowedMs)} ms after that), born while netfence was away ${whileAway.inbound ? `open until ${String(closedMs)} ms after it was ready again` : "closed"}, death ${inbound?.allowed ? "open" : "closed"} while Terminating`,
    );
    process.stderr.write(`[dataplane] windows: ${windows.join("; ")}\n`);

    await requestJson(kc, "PATCH", `/api/v1/namespaces/${ns}/pods/newborn`, { body: { metadata: { finalizers: null } }, contentType: "application/merge-patch+json" });
    await plane.removePod(target);
    await profiles.delete(name);
    await eventually(async () => ((await profiles.get(name)) ? undefined : true), `${name} deleted`, 60_000);
  }, 5 * 60_000);

  async function adminPolicies(): Promise<number> {
    const list = (await requestJson(kc, "GET", "/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies")) as { items: { metadata: { name: string } }[] };
    return list.items.filter((p) => p.metadata.name.startsWith(`netfence-${suite}`)).length;
  }

  async function policiesIn(namespace: string): Promise<number> {
    const list = (await requestJson(kc, "GET", `/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies`)) as { items: unknown[] };
    return list.items.length;
  }
});

describe("differential: netfence matrix against the kernel", () => {
  const envSeeds = process.env.NETFENCE_DATAPLANE_SEEDS;
  const base = Date.now() % 1_000_000;
  const seeds = envSeeds ? envSeeds.split(",").map(Number) : Array.from({ length: DEFAULT_SEED_COUNT }, (_, i) => base + i);

  it(`agrees on every probe of ${String(seeds.length)} seeded random NetworkPolicy sets (${String(seeds.length * PROBES_PER_SEED)} probes), each with a rendered IsolationProfile`, async () => {
    // What CI runs (no seeds given) must send at least 2,000 probes.
    expect(DEFAULT_SEED_COUNT * PROBES_PER_SEED).toBeGreaterThanOrEqual(2000);
    const started = Date.now();
    const names = { a: uniqueName("dp-a"), b: uniqueName("dp-b"), c: uniqueName("dp-c") };
    const w = world(names);
    for (const ns of w.namespaces) {
      const { "kubernetes.io/metadata.name": _auto, ...labels } = ns.metadata.labels ?? {};
      await createNamespace(kc, ns.metadata.name, labels);
      namespaces.push(ns.metadata.name);
    }
    await plane.addPods(w.pods);
    const refs = w.pods.map((p) => `${p.pod.metadata.namespace ?? ""}/${p.pod.metadata.name}`);
    const pairs = refs.flatMap((from) => refs.filter((to) => to !== from).map((to) => `${from} ${to}`)).sort();
    expect(pairs.length * TRAFFICS.length).toBe(PROBES_PER_SEED);
    let total = 0;
    let allowed = 0;
    let profilesRendered = 0;
    const verdicts = { isolated: 0, bypassed: 0 };
    const matrixSeconds: number[] = [];
    const disagreements: string[] = [];
    for (const seed of seeds) {
      // Named before the first write: whatever fails below, the seed is on the line above it.
      process.stderr.write(`[dataplane] seed ${String(seed)}; reproduce with ${reproduce(seed)}\n`);
      const profile = { apiVersion: "netfence.io/v1alpha1", kind: "IsolationProfile", metadata: { name: `random-${String(seed)}` }, spec: randomProfileSpec(seed, names) };
      const parsed = parseProfile(profile);
      if (!parsed.ok) process.stderr.write(`[dataplane] seed ${String(seed)}: the random profile is invalid, left out (${formatIssues(parsed.issues)})\n`);
      else profilesRendered++;
      const generated = parsed.ok ? renderProfile(parsed.value, w.namespaces) : [];
      const policies = [...randomPolicies(seed, names), ...generated];
      const measured = await namingSeed(seed, () => predictAndMeasure(Object.values(names), policies, pairs));
      const judged = checkIsolatedVerdicts(profile.metadata.name, generated, policies, w, measured.results);
      verdicts.isolated += judged.isolated;
      verdicts.bypassed += judged.bypassed;
      disagreements.push(...judged.hidden.map((h) => `seed ${String(seed)}: ${h}: packets got through that the profile alone does not admit`));
      matrixSeconds.push(measured.matrixSeconds);
      total += measured.results.length;
      allowed += measured.results.filter((r) => r.allowed).length;
      const wrong = measured.results.flatMap((r, k) => {
        const c = measured.cases[k];
        return c && r.allowed !== c.predicted ? [`seed ${String(seed)}: ${describeResult(r)}: \`${c.command}\` says ${c.predicted ? "allowed" : "denied"}, packets ${r.allowed ? "got through" : `did not (${r.detail})`}`] : [];
      });
      disagreements.push(...wrong);
      if (wrong.length > 0) {
        const notes = measured.notes.length > 0 ? `netfence matrix notes:\n${measured.notes.join("\n")}\n` : "";
        process.stderr.write(
          `[dataplane] disagreement on seed ${String(seed)}; reproduce with ${reproduce(seed)}\n${wrong.join("\n")}\n${notes}profile:\n${JSON.stringify(profile.spec)}\npolicy set (the profile's rendered policies included):\n${JSON.stringify(policies, null, 1)}\n`,
        );
      }
    }
    process.stderr.write(
      `[dataplane] differential: seeds ${seeds.join(",")} (${String(profilesRendered)} with a rendered IsolationProfile): ${String(total - disagreements.length)}/${String(total)} probes agree with netfence matrix (${String(allowed)} allowed, ${String(total - allowed)} denied on the wire) in ${seconds(started)}s; Bypassed verdicts ${String(verdicts.isolated)} Isolated (checked against the packets), ${String(verdicts.bypassed)} Bypassed; netfence matrix ×4 per seed ${Math.min(...matrixSeconds).toFixed(1)}–${Math.max(...matrixSeconds).toFixed(1)}s\n`,
    );
    expect(disagreements).toEqual([]);
    expect(total).toBe(seeds.length * PROBES_PER_SEED);
    // Not vacuous: the sets let some packets through and stop others.
    expect(allowed).toBeGreaterThan(0);
    expect(allowed).toBeLessThan(total);
  }, 15 * 60_000);

  /**
   * Writes the set, then at once: `netfence matrix` on the live cluster for each
   * traffic (the prediction, read back from the API server) and the wait until
   * felix enforces the set; then every predicted pair probed with that traffic.
   */
  async function predictAndMeasure(inNamespaces: string[], policies: NetworkPolicy[], pairs: readonly string[]) {
    await replacePolicies(inNamespaces, policies);
    const t0 = Date.now();
    const [runs] = await Promise.all([Promise.all(TRAFFICS.map((traffic) => netfenceMatrix(kubeconfigPath(), inNamespaces, traffic))), plane.sync().then(() => plane.forgetConnections())]);
    const matrixSeconds = (Date.now() - t0) / 1000;
    for (const run of runs) {
      const got = run.records.map((r) => `${r.from} ${r.to}`).sort();
      if (got.join("\n") !== pairs.join("\n")) throw new Error(`\`${run.command}\` gave ${String(got.length)} pairs, not the ${String(pairs.length)} ordered pairs of the run's pods`);
    }
    const cases = runs.flatMap((run, t) => run.records.map((r) => ({ spec: probeSpec(r.from, r.to, TRAFFICS[t] ?? { protocol: "ICMP" }), predicted: r.allowed, command: run.command })));
    const results = await plane.probeAll(cases.map((c) => c.spec));
    return { cases, results, matrixSeconds, notes: [...new Set(runs.map((r) => r.notes).filter((n) => n !== ""))] };
  }

  async function replacePolicies(inNamespaces: string[], policies: NetworkPolicy[]): Promise<void> {
    const net = kc.makeApiClient(k8s.NetworkingV1Api);
    await Promise.all(inNamespaces.map((namespace) => net.deleteCollectionNamespacedNetworkPolicy({ namespace })));
    for (const p of policies) {
      await requestJson(kc, "POST", `/apis/networking.k8s.io/v1/namespaces/${p.metadata.namespace ?? ""}/networkpolicies`, { body: p });
    }
  }
});

/** The one command that runs this seed again, and only the differential test. */
function reproduce(seed: number): string {
  return `NETFENCE_DATAPLANE_SEEDS=${String(seed)} npm test -- test/integration/dataplane.test.ts -t differential`;
}

/** Runs `work`; an error it throws comes out with the seed and the reproduce line in its message. */
async function namingSeed<T>(seed: number, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw new Error(`seed ${String(seed)}: ${err instanceof Error ? err.message : String(err)}\nreproduce with ${reproduce(seed)}`, { cause: err });
  }
}

describe("tear-down", () => {
  it("leaves no namespace, link, route, table, chain, set, file or process of the run", async () => {
    const runId = plane.runId;
    const veths = plane.listPods().map((p) => p.veth);
    const pids = [plane.felixPid, ...plane.agentPids()].filter((p): p is number => p !== undefined);
    const forwardingBefore = JSON.parse(readFileSync(`${RUN_DIR}/active.json`, "utf8")) as { ipForward: string; createdFelixStateDir: boolean; dir: string };
    expect(veths.length).toBeGreaterThan(0);
    expect(pids.length).toBe(veths.length + 1);
    await plane.stop();

    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const links = await run("ip", ["-br", "link"]);
    expect({
      netns: (await listNetns()).filter((n) => n.startsWith(`nfdp-${runId}-`)),
      links: links.split("\n").filter((l) => l.startsWith("cali")),
      routes: await ownRoutes(),
      blackhole: (await run("ip", ["route", "show", "type", "blackhole"])).split("\n").filter((l) => l.startsWith(plane.podCidr)),
      nftTables: await felixNftTables(),
      iptablesChains: await felixIptablesChains(),
      ipsets: await felixIpsets(),
      files: [RUN_DIR, forwardingBefore.dir, ...(forwardingBefore.createdFelixStateDir ? ["/var/lib/calico"] : [])].filter((f) => existsSync(f)),
      processes: pids.filter(alive),
      ipForward: readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8").trim(),
    }).toEqual({ netns: [], links: [], routes: [], blackhole: [], nftTables: [], iptablesChains: [], ipsets: [], files: [], processes: [], ipForward: forwardingBefore.ipForward });
    await eventually(async () => ((await requestJson(kc, "GET", `/api/v1/nodes/${plane.node}`).then(() => false, () => true)) ? true : undefined), "the run's Node to be deleted");
  }, 120_000);

  it("removes what a crashed run left (killed with SIGKILL) when the next run starts", async () => {
    const felixStateDirBefore = existsSync("/var/lib/calico");
    const ns = uniqueName("dp-crash");
    await createNamespace(kc, ns, {});
    namespaces.push(ns);
    const crashed = await startAndKill(ns);
    expect((await listNetns()).filter((n) => n.startsWith(`nfdp-${crashed.runId}-`)).length).toBeGreaterThan(0);
    // The crashed run recorded that it started felix on a clean machine: its Calico state is the next run's to sweep.
    expect(JSON.parse(readFileSync(`${RUN_DIR}/active.json`, "utf8"))).toMatchObject({ runId: crashed.runId, felixStarted: true });

    const next = await startDataPlane();
    const leftovers = (await listNetns()).filter((n) => n.startsWith(`nfdp-${crashed.runId}-`));
    await next.stop();
    const links = await run("ip", ["-br", "link"]);
    expect({
      leftovers,
      netns: (await listNetns()).filter((n) => n.startsWith("nfdp-")),
      links: crashed.veths.filter((v) => links.includes(v)),
      routes: await ownRoutes(),
      nftTables: await felixNftTables(),
      iptablesChains: await felixIptablesChains(),
      ipsets: await felixIpsets(),
      record: existsSync(`${RUN_DIR}/active.json`),
      felixStateDir: felixStateDirBefore ? "kept (existed before)" : existsSync("/var/lib/calico"),
    }).toEqual({ leftovers: [], netns: [], links: [], routes: [], nftTables: [], iptablesChains: [], ipsets: [], record: false, felixStateDir: felixStateDirBefore ? "kept (existed before)" : false });
  }, 180_000);

  it("refuses to start beside Calico state that no netfence run recorded, in one line, and leaves that state alone", async () => {
    // Somebody else's Calico, as far as the data plane can tell: an empty ipset and an empty, unreferenced chain.
    const set = uniqueName("cali40nf");
    const chain = uniqueName("cali-nf");
    // Creating a chain creates its table when missing; then the table goes too.
    const filterTableBefore = (await tryRun("nft", ["list", "table", "ip", "filter"])).code === 0;
    await run("ipset", ["create", set, "hash:ip"]);
    try {
      await run("iptables-nft", ["-t", "filter", "-N", chain]);
      const refused = await startDataPlane().then(
        async (p) => {
          await p.stop();
          return undefined;
        },
        (err: unknown) => err as Error,
      );
      expect(refused?.name).toBe("DataPlaneUnsupportedError");
      expect(refused?.message.split("\n")).toEqual([expect.stringContaining("Calico state that no netfence run recorded is on this machine")]);
      expect(refused?.message).toContain(set);
      expect(refused?.message).toContain(`iptables-nft filter ${chain}`);
      expect({
        ipsets: (await felixIpsets()).filter((s) => s === set),
        chains: (await felixIptablesChains()).filter((c) => c.endsWith(` ${chain}`)),
        record: existsSync(`${RUN_DIR}/active.json`),
        routes: await ownRoutes(),
        netns: (await listNetns()).filter((n) => n.startsWith("nfdp-")),
      }).toEqual({ ipsets: [set], chains: [`iptables-nft filter ${chain}`], record: false, routes: [], netns: [] });
    } finally {
      await tryRun("iptables-nft", ["-t", "filter", "-X", chain]);
      // Only the table this test made, and only while it is empty (nft would delete a table's chains with it).
      const filterTable = await tryRun("nft", ["list", "table", "ip", "filter"]);
      if (!filterTableBefore && filterTable.code === 0 && !/\bchain\b/.test(filterTable.stdout)) await tryRun("nft", ["delete", "table", "ip", "filter"]);
      await tryRun("ipset", ["destroy", set]);
    }
    expect({ ipsets: await felixIpsets(), chains: await felixIptablesChains(), filterTable: (await tryRun("nft", ["list", "table", "ip", "filter"])).code === 0 }).toEqual({
      ipsets: [],
      chains: [],
      filterTable: filterTableBefore,
    });
  }, 120_000);
});

/** A data plane with two pods in its own process, killed with SIGKILL once it is up: what a crash leaves. */
async function startAndKill(namespace: string): Promise<{ runId: string; veths: string[] }> {
  const script = `
    const { DataPlane } = await import(${JSON.stringify(`${ROOT}dist/dataplane/dataplane.js`)});
    const plane = await DataPlane.start({ kubeconfig: ${JSON.stringify(kubeconfigPath())}, waitForMachineMs: 60000 });
    const pods = await plane.addPods([{ pod: { metadata: { name: "a", namespace: ${JSON.stringify(namespace)} } } }, { pod: { metadata: { name: "b", namespace: ${JSON.stringify(namespace)} } } }]);
    process.stdout.write(JSON.stringify({ runId: plane.runId, veths: pods.map((p) => p.veth) }) + "\\n");
    setInterval(() => undefined, 60000);
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  const line = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => {
      out += c;
      if (out.includes("\n")) resolve(out.split("\n")[0] ?? "");
    });
    child.on("exit", (code) => reject(new Error(`the crashing data plane exited early (${String(code)})`)));
  });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  child.kill("SIGKILL");
  await exited;
  return JSON.parse(line) as { runId: string; veths: string[] };
}
