/**
 * Floor vs. operator: how long N NetworkPolicies take to exist, written by a
 * bare client (the floor) and by netfence from one IsolationProfile, with the
 * same qps/burst/write concurrency against the same API server. An independent
 * watch timestamps every ADDED; the operator's time ends when the last policy
 * is seen AND the profile is Ready=True at its current generation.
 * Runs alternate floor/operator; the ratio is the median over runs.
 */
import { parseArgs } from "node:util";
import type { NetworkPolicy } from "../../src/k8s/objects.js";
import { policyName } from "../../src/policy/naming.js";
import type { Scenario } from "../index.js";
import { benchEnv, poolName, type BenchEnv } from "../lib/env.js";
import { callIdempotent, DEFAULT_LIMITS, describeLimits, floorWrites, NP_PATH, pool, type Limits } from "../lib/kube.js";
import { createProfile, deleteProfile, renderBodies } from "../lib/profile.js";
import { median, progress, round, secs, table, until } from "../lib/report.js";
import { withRig } from "../lib/rig.js";
import { TimedWatch } from "../lib/watch.js";

export const FLOOR_NAME = "bench-floor";
const FLOOR_LABEL = "bench.netfence.io/floor";

export function benchSpec(selector: Record<string, string>): Record<string, unknown> {
  return { preset: "deny-all", namespaces: { selector: { matchLabels: selector } } };
}

/** The floor's copy of the operator's bodies: same spec and annotations, its own name and label, no owner. */
export function floorBodies(bodies: readonly NetworkPolicy[]): NetworkPolicy[] {
  return bodies.map((p) => ({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: FLOOR_NAME, namespace: p.metadata.namespace, labels: { [FLOOR_LABEL]: "yes" }, annotations: p.metadata.annotations }, spec: p.spec }));
}

export function namespaceObjects(n: number, selector: Record<string, string>) {
  return Array.from({ length: n }, (_, i) => ({ metadata: { name: poolName(i), labels: { ...selector } } }));
}

type PolicyWatch = TimedWatch<NetworkPolicy>;

/** Waits until `count` policies named `name` were ADDED since the last reset; the time of the last. */
export async function lastAdded(watch: PolicyWatch, name: string, count: number, timeoutMs: number, label: string): Promise<number> {
  return until(() => {
    let n = 0;
    let last = 0;
    for (const [key, s] of watch.seen) {
      if (!key.endsWith(`/${name}`) || s.added === undefined || s.deleted !== undefined) continue;
      n++;
      last = Math.max(last, s.added);
    }
    return n >= count ? last : undefined;
  }, label, timeoutMs);
}

export async function allDeleted(watch: PolicyWatch, name: string, count: number, timeoutMs: number, label: string): Promise<number> {
  return until(() => {
    let n = 0;
    let last = 0;
    for (const [key, s] of watch.seen) {
      if (!key.endsWith(`/${name}`) || s.deleted === undefined) continue;
      n++;
      last = Math.max(last, s.deleted);
    }
    return n >= count ? last : undefined;
  }, label, timeoutMs);
}

export async function deleteFloor(env: BenchEnv, watch: PolicyWatch, n: number): Promise<void> {
  watch.reset();
  await pool(Array.from({ length: n }, (_, i) => poolName(i)), 48, (ns) => callIdempotent(env.kc, "DELETE", `${NP_PATH(ns)}/${FLOOR_NAME}`));
  await allDeleted(watch, FLOOR_NAME, n, 300_000, "the floor's policies to be deleted");
}

export interface ConvergeRun {
  floorMs: number;
  operatorMs: number;
  firstPolicyMs: number;
  lastPolicyMs: number;
  readyMs: number;
  cleanupMs: number;
}

export async function convergeRuns(env: BenchEnv, n: number, runs: number, limits: Limits): Promise<ConvergeRun[]> {
  const selector = await env.ensureNamespaces(n);

  const results: ConvergeRun[] = [];
  await withRig(env, limits, async ({ policies, profiles, operator }) => {
    await operator.ready();
    for (let r = 0; r < runs; r++) {
      const name = `converge-${String(n)}-${String(r)}`;
      const spec = benchSpec(selector);
      const bodies = floorBodies(renderBodies(name, spec, namespaceObjects(n, selector)));

      policies.reset();
      progress(`run ${String(r + 1)}/${String(runs)}: floor creating ${String(n)} NetworkPolicies`);
      const f0 = performance.now();
      const floor = await floorWrites(env.kc, limits, bodies, (p) => ({ method: "POST", path: NP_PATH(p.metadata.namespace ?? ""), body: p, query: { fieldManager: "netfence" } }));
      if (floor.failed) throw new Error(`floor: ${String(floor.failed)} creates failed: ${floor.firstError ?? ""}`);
      const floorMs = (await lastAdded(policies, FLOOR_NAME, n, 600_000, "the floor's policies")) - f0;
      progress(`run ${String(r + 1)}/${String(runs)}: floor ${secs(floorMs)}s; deleting its policies`);
      await deleteFloor(env, policies, n);

      policies.reset();
      progress(`run ${String(r + 1)}/${String(runs)}: operator: applying IsolationProfile ${name}`);
      const o0 = performance.now();
      const created = await createProfile(env.kc, name, spec);
      const generation = created.metadata.generation ?? 1;
      const lastPolicy = await lastAdded(policies, policyName(name), n, 900_000, "the operator's policies");
      const ready = await until(() => profiles.ready(name, generation), `${name} Ready at generation ${String(generation)}`, 300_000);
      let first = Infinity;
      for (const [key, s] of policies.seen) if (key.endsWith(`/${policyName(name)}`) && s.added !== undefined) first = Math.min(first, s.added);
      const run: ConvergeRun = { floorMs, operatorMs: Math.max(lastPolicy, ready) - o0, firstPolicyMs: first - o0, lastPolicyMs: lastPolicy - o0, readyMs: ready - o0, cleanupMs: 0 };
      progress(`run ${String(r + 1)}/${String(runs)}: operator ${secs(run.operatorMs)}s (ratio ${(run.operatorMs / floorMs).toFixed(2)}); deleting the profile`);

      policies.reset();
      const c0 = performance.now();
      await deleteProfile(env.kc, name);
      await allDeleted(policies, policyName(name), n, 120_000 + n * 60, "the operator to delete its policies");
      await until(() => (profiles.gone(name) ? true : undefined), `${name} to be gone`, 120_000);
      run.cleanupMs = performance.now() - c0;
      results.push(run);
    }
  });
  return results;
}

export function printConverge(n: number, runs: ConvergeRun[], limits: Limits): Record<string, number> {
  const ratios = runs.map((r) => r.operatorMs / r.floorMs);
  const rows = runs.map((r, i) => [String(i + 1), secs(r.floorMs), secs(r.operatorMs), (r.operatorMs / r.floorMs).toFixed(3), secs(r.firstPolicyMs), secs(r.lastPolicyMs), secs(r.readyMs), secs(r.cleanupMs)]);
  const m = (f: (r: ConvergeRun) => number) => median(runs.map(f));
  rows.push(["median", secs(m((r) => r.floorMs)), secs(m((r) => r.operatorMs)), median(ratios).toFixed(3), secs(m((r) => r.firstPolicyMs)), secs(m((r) => r.lastPolicyMs)), secs(m((r) => r.readyMs)), secs(m((r) => r.cleanupMs))]);
  console.log(`\nconverge, N = ${String(n)} namespaces; ${describeLimits(limits)}`);
  console.log(`physical floor at these limits: (N − burst) / qps = ${secs((Math.max(0, n - limits.burst) / limits.qps) * 1000)}s\n`);
  table(["run", "T_floor s", "T_operator s", "ratio", "first policy s", "last policy s", "Ready s", "cleanup s"], rows);
  console.log(`ratio median ${median(ratios).toFixed(3)} (min ${Math.min(...ratios).toFixed(3)}, max ${Math.max(...ratios).toFixed(3)}); target ≤ ${n <= 2000 ? "1.2" : "1.5"}\n`);
  const k = `converge_${String(n)}`;
  return {
    [`${k}_ratio`]: round(median(ratios), 3),
    [`${k}_ratio_min`]: round(Math.min(...ratios), 3),
    [`${k}_ratio_max`]: round(Math.max(...ratios), 3),
    [`${k}_floor_s`]: round(m((r) => r.floorMs) / 1000),
    [`${k}_operator_s`]: round(m((r) => r.operatorMs) / 1000),
    [`${k}_cleanup_s`]: round(m((r) => r.cleanupMs) / 1000),
  };
}

export const scenario: Scenario = {
  name: "converge",
  description: "floor vs. operator creating N NetworkPolicies (options: --namespaces 2000 --runs 3 --qps 200 --burst 400 --write-concurrency 32)",
  async run(args) {
    const { values } = parseArgs({ args, options: { namespaces: { type: "string", default: "2000" }, runs: { type: "string", default: "3" }, qps: { type: "string" }, burst: { type: "string" }, "write-concurrency": { type: "string" } } });
    const n = Number(values.namespaces);
    const limits: Limits = { ...DEFAULT_LIMITS, ...(values.qps ? { qps: Number(values.qps) } : {}), ...(values.burst ? { burst: Number(values.burst) } : {}), ...(values["write-concurrency"] ? { writeConcurrency: Number(values["write-concurrency"]) } : {}) };
    const env = await benchEnv();
    const runs = await convergeRuns(env, n, Number(values.runs), limits);
    return { ...printConverge(n, runs, limits), qps: limits.qps, burst: limits.burst, write_concurrency: limits.writeConcurrency };
  },
};
