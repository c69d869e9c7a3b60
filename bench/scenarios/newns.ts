/**
 * New-namespace latency: namespaces are created at a steady rate while a
 * profile selects them (and, in the background, N pool namespaces, so every
 * pass plans over N + k policies). Latency = the create request sent → the
 * generated policy's ADDED seen by an independent watch.
 */
import { parseArgs } from "node:util";
import { policyName } from "../../src/policy/naming.js";
import type { Scenario } from "../index.js";
import { benchEnv } from "../lib/env.js";
import { call, callIdempotent, DEFAULT_LIMITS, describeLimits } from "../lib/kube.js";
import { createProfile, deleteProfile } from "../lib/profile.js";
import { percentile, progress, round, sleep, table, until } from "../lib/report.js";
import { withRig } from "../lib/rig.js";
import { lastAdded } from "./converge.js";

export const scenario: Scenario = {
  name: "newns",
  description: "namespace created → policy applied, at a steady creation rate (options: --count 200 --rate 10 --namespaces 2000 background selection)",
  async run(args) {
    const { values } = parseArgs({ args, options: { count: { type: "string", default: "200" }, rate: { type: "string", default: "10" }, namespaces: { type: "string", default: "2000" } } });
    const count = Number(values.count);
    const rate = Number(values.rate);
    const background = Number(values.namespaces);
    const env = await benchEnv();
    const selector = await env.ensureNamespaces(background);
    const run = Date.now().toString(36);
    const prefix = `bnew-${run}`;
    const name = `newns-${run}`;
    const latencies: number[] = [];
    const names = Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(4, "0")}`);
    await withRig(env, DEFAULT_LIMITS, async ({ policies, profiles, operator }) => {
      await operator.ready();
      const created = await createProfile(env.kc, name, { preset: "deny-all", namespaces: { selector: { matchLabels: selector }, names: [`${prefix}-*`] } });
      await lastAdded(policies, policyName(name), background, 900_000, "the background policies");
      await until(() => profiles.ready(name, created.metadata.generation ?? 1), `${name} Ready`, 300_000);
      progress(`new namespaces: creating ${String(count)} at ${String(rate)}/s while ${name} selects them and ${String(background)} others`);
      const sentAt = new Map<string, number>();
      const t0 = performance.now();
      await Promise.all(
        names.map(async (ns, i) => {
          await sleep(Math.max(0, t0 + (i * 1000) / rate - performance.now()));
          sentAt.set(ns, performance.now());
          await call(env.kc, "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
        }),
      );
      await until(() => (names.every((ns) => policies.seen.get(`${ns}/${policyName(name)}`)?.added !== undefined) ? true : undefined), "a policy in every new namespace", 120_000);
      for (const ns of names) latencies.push((policies.seen.get(`${ns}/${policyName(name)}`)?.added ?? 0) - (sentAt.get(ns) ?? 0));
      await deleteProfile(env.kc, name);
      await until(() => (profiles.gone(name) ? true : undefined), `${name} to be gone`, 300_000);
    }).finally(() => {
      void Promise.all(names.map((ns) => callIdempotent(env.kc, "DELETE", `/api/v1/namespaces/${ns}`))).catch(() => undefined);
    });
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    console.log(`\nnew-namespace latency: ${String(count)} namespaces at ${String(rate)}/s, profile also selecting ${String(background)} existing namespaces; ${describeLimits(DEFAULT_LIMITS)}\n`);
    table(["namespaces", "p50 ms", "p90 ms", "p99 ms", "max ms"], [[String(count), p50.toFixed(0), percentile(latencies, 90).toFixed(0), p99.toFixed(0), Math.max(...latencies).toFixed(0)]]);
    console.log("targets: p50 ≤ 100 ms, p99 ≤ 500 ms\n");
    return { new_ns_p50_ms: round(p50, 1), new_ns_p99_ms: round(p99, 1), new_ns_max_ms: round(Math.max(...latencies), 1) };
  },
};
