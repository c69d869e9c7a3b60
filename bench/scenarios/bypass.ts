/**
 * Effective isolation at scale: N namespaces, one tenant NetworkPolicy in each
 * (a mix: most admit nothing beyond the profile, every 20th bypasses it), one
 * allow-same-namespace profile selecting all N, the operator running.
 *
 * - full verdict: the profile's spec gets a new generation that renders the same
 *   policies (deletionPolicy Delete ↔ Orphan), so no policy is written but every
 *   namespace's verdict is computed afresh (the memo is keyed by the generation's
 *   rendered spec). Time = PATCH sent → the independent status watch sees
 *   observedGeneration current, Ready and bypassedNamespaces = the expected count.
 * - one policy change: a bypassing policy is created / deleted in one namespace
 *   that is otherwise Isolated; time = request sent → the status watch sees
 *   bypassedNamespaces move to B + 1 / back to B. Samples are sequential.
 * - RSS: VmRSS of the operator sampled each second; median over 15 s once the
 *   full verdict is in, with N namespaces, N generated and N tenant policies cached.
 */
import { parseArgs } from "node:util";
import type { IsolationProfile } from "../../src/api/types.js";
import type { NetworkPolicy } from "../../src/k8s/objects.js";
import { policyName } from "../../src/policy/naming.js";
import type { Scenario } from "../index.js";
import { benchEnv, poolName, SETUP_CONCURRENCY, type BenchEnv } from "../lib/env.js";
import { call, callIdempotent, DEFAULT_LIMITS, describeLimits, NP_PATH, pool } from "../lib/kube.js";
import type { OperatorProcess } from "../lib/operator.js";
import { createProfile, deleteProfile, patchProfileSpec, type ProfileWatch } from "../lib/profile.js";
import { median, percentile, progress, round, secs, sleep, table, until } from "../lib/report.js";
import { withRig } from "../lib/rig.js";
import { allDeleted, lastAdded } from "./converge.js";

const TENANT_LABEL = "bench.netfence.io/tenant";
const TOGGLE_NAME = "bench-toggle-allow-all";
/** The profile isolates `app: web` pods and admits the same namespace (ingress only). */
const PROFILE_POD_SELECTOR = { matchLabels: { app: "web" } };

export const BYPASS_EVERY = 20;

/**
 * Namespace i's tenant policy. Every 20th bypasses the profile (alternately an
 * allow from every namespace and an ipBlock 0.0.0.0/0); the others admit
 * nothing beyond it: a same-namespace allow (the profile allows that), an
 * allow-all for other pods (`app: api`, disjoint from `app: web`), an egress
 * allow-all (the preset does not isolate egress).
 */
export function tenantPolicy(i: number): NetworkPolicy {
  const namespace = poolName(i);
  const meta = (name: string) => ({ name, namespace, labels: { [TENANT_LABEL]: "yes" } });
  const k = i % BYPASS_EVERY;
  if (k === 0) {
    const from = (i / BYPASS_EVERY) % 2 === 0 ? [{ namespaceSelector: {} }] : [{ ipBlock: { cidr: "0.0.0.0/0" } }];
    return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: meta("tenant-open"), spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from }] } };
  }
  if (k <= 7) {
    return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: meta("tenant-same-namespace"), spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: {} }], ports: [{ protocol: "TCP", port: 8080 }] }] } };
  }
  if (k <= 13) {
    return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: meta("tenant-api-open"), spec: { podSelector: { matchLabels: { app: "api" } }, policyTypes: ["Ingress"], ingress: [{}] } };
  }
  return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: meta("tenant-egress"), spec: { podSelector: {}, policyTypes: ["Egress"], egress: [{}] } };
}

/** The profile: isolates `app: web` pods (one of every two bench pods) and admits the same namespace. */
export function bypassSpec(selector: Record<string, string>): Record<string, unknown> {
  return { preset: "allow-same-namespace", namespaces: { selector: { matchLabels: selector } }, podSelector: PROFILE_POD_SELECTOR, deletionPolicy: "Delete" };
}

export const expectedBypassed = (n: number): number => Math.ceil(n / BYPASS_EVERY);

function togglePolicy(namespace: string): NetworkPolicy {
  return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: TOGGLE_NAME, namespace }, spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ namespaceSelector: {} }] }] } };
}

/** Namespace i's tenant policy for i < n (idempotent: existing ones are kept); the time it took. */
export async function ensureTenantPolicies(env: BenchEnv, n: number): Promise<number> {
  const t0 = performance.now();
  let done = 0;
  await pool(
    Array.from({ length: n }, (_, i) => i),
    SETUP_CONCURRENCY,
    async (i) => {
      const p = tenantPolicy(i);
      await callIdempotent(env.kc, "POST", NP_PATH(p.metadata.namespace ?? ""), p);
      if (++done % 2000 === 0) progress(`tenant policies ${String(done)} of ${String(n)}`);
    },
  );
  return performance.now() - t0;
}

/** Resolves with the arrival time of the first profile event, from now on, for which `pred` holds. */
function nextStatus(profiles: ProfileWatch, name: string, pred: (p: IsolationProfile) => boolean, what: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      reject(new Error(`bench: timed out after ${String(timeoutMs / 1000)}s waiting for ${what}`));
    }, timeoutMs);
    profiles.watch.on((type, _key, p, at) => {
      if (done || type === "DELETED" || p.metadata.name !== name || !pred(p)) return;
      done = true;
      clearTimeout(timer);
      resolve(at);
    });
  });
}

const readyWith = (generation: number, bypassed: number) => (p: IsolationProfile) => {
  const ready = p.status?.conditions?.find((c) => c.type === "Ready");
  return p.metadata.generation === generation && p.status?.observedGeneration === generation && ready?.status === "True" && p.status.bypassedNamespaces === bypassed;
};

/** The reconcile histogram's sum (s) and count, to split a window's time into the operator's passes. */
async function passes(operator: OperatorProcess): Promise<{ sum: number; count: number }> {
  return { sum: (await operator.metric("netfence_reconcile_duration_seconds_sum")) ?? 0, count: (await operator.metric("netfence_reconcile_duration_seconds_count")) ?? 0 };
}

const meanPassMs = (a: { sum: number; count: number }, b: { sum: number; count: number }): number => (b.count > a.count ? ((b.sum - a.sum) / (b.count - a.count)) * 1000 : 0);

export const scenario: Scenario = {
  name: "bypass",
  description: "effective isolation: full verdict, one policy change → verdict, RSS with N tenant policies (options: --namespaces 10000 --samples 100 --pods-per-namespace 0)",
  async run(args) {
    const { values } = parseArgs({ args, options: { namespaces: { type: "string", default: "10000" }, samples: { type: "string", default: "100" }, "pods-per-namespace": { type: "string", default: "0" } } });
    const n = Number(values.namespaces);
    const samples = Number(values.samples);
    const perNs = Number(values["pods-per-namespace"]);
    const env = await benchEnv();
    const selector = await env.ensureNamespaces(n);
    // The memory scenario's pods, so the RSS can be compared with its rss_mib (a no-op when they exist).
    if (perNs > 0) await env.ensurePods(n, perNs);
    const bypassed = expectedBypassed(n);
    progress(`bypass: creating ${String(n)} tenant policies (${String(bypassed)} bypassing)`);
    const tenantMs = await ensureTenantPolicies(env, n);
    progress(`bypass: tenant policies in place in ${secs(tenantMs)}s`);

    const name = `bypass-${String(n)}`;
    const rssSamples: number[] = [];
    const latencies: number[] = [];
    const toBypassed: number[] = [];
    const toIsolated: number[] = [];
    let rolloutMs = 0;
    let fullMs = 0;
    let fullBackMs = 0;
    let fullPassMs = 0;
    let fullPassCount = 0;
    let samplePassMs = 0;
    let rss = 0;
    let heapMiB = 0;
    // An otherwise Isolated namespace: its tenant policy only admits the same namespace.
    const target = poolName(1);
    let nodeOptions = "";
    try {
      await withRig(env, DEFAULT_LIMITS, async ({ policies, profiles, operator }) => {
        nodeOptions = operator.nodeOptions;
        const sampler = setInterval(() => {
          try {
            rssSamples.push(operator.rssMiB());
          } catch {
            // exited
          }
        }, 1000);
        try {
          await operator.ready();
          const spec = bypassSpec(selector);
          progress(`bypass: applying ${name} over ${String(n)} namespaces`);
          const r0 = performance.now();
          const created = await createProfile(env.kc, name, spec);
          const g1 = created.metadata.generation ?? 1;
          const rolledOut = nextStatus(profiles, name, readyWith(g1, bypassed), `${name} Ready with ${String(bypassed)} bypassed namespaces`, 1_800_000);
          await lastAdded(policies, policyName(name), n, 1_800_000, "the profile's policies");
          rolloutMs = (await rolledOut) - r0;
          progress(`bypass: rolled out, ${String(bypassed)} bypassed, in ${secs(rolloutMs)}s; settling`);
          await sleep(3000);

          // Full verdict: a new generation rendering the same policies; every verdict is computed afresh.
          const before = await passes(operator);
          const f0 = performance.now();
          const patched = await patchProfileSpec(env.kc, name, { deletionPolicy: "Orphan" });
          const g2 = patched.metadata.generation ?? g1 + 1;
          const fullAt = nextStatus(profiles, name, readyWith(g2, bypassed), `${name} at generation ${String(g2)} with ${String(bypassed)} bypassed`, 120_000);
          fullMs = (await fullAt) - f0;
          // The pass that wrote the status, and the one its own status event causes (every memo hit).
          await sleep(1000);
          const after = await passes(operator);
          fullPassMs = (after.sum - before.sum) * 1000;
          fullPassCount = after.count - before.count;
          progress(`bypass: full verdict ${fullMs.toFixed(0)} ms (operator passes in the window: ${String(fullPassCount)}, ${fullPassMs.toFixed(0)} ms in all; histogram ${JSON.stringify(before)} → ${JSON.stringify(after)})`);

          progress("bypass: sampling operator RSS for 15 s");
          await sleep(3000);
          const from = rssSamples.length;
          await sleep(15_000);
          rss = median(rssSamples.slice(from));
          heapMiB = ((await operator.metric("netfence_nodejs_heap_size_used_bytes")) ?? 0) / 2 ** 20;

          progress(`bypass: ${String(samples)} policy changes in ${target} (create/delete an allow-all)`);
          const s0 = await passes(operator);
          for (let s = 0; s < samples; s++) {
            const create = s % 2 === 0;
            const want = create ? bypassed + 1 : bypassed;
            const seen = nextStatus(profiles, name, (p) => p.status?.observedGeneration === g2 && p.status.bypassedNamespaces === want, `bypassedNamespaces = ${String(want)} (sample ${String(s + 1)})`, 30_000);
            const t0 = performance.now();
            if (create) await call(env.kc, "POST", NP_PATH(target), togglePolicy(target));
            else await call(env.kc, "DELETE", `${NP_PATH(target)}/${TOGGLE_NAME}`);
            const ms = (await seen) - t0;
            latencies.push(ms);
            (create ? toBypassed : toIsolated).push(ms);
            // Let the pass that follows the status write drain before the next change.
            await sleep(250);
          }
          const s1 = await passes(operator);
          samplePassMs = meanPassMs(s0, s1);
          const listed = profiles.current(name)?.status?.namespaces?.find((e) => e.name === target);
          if (listed && listed.state !== "Isolated") throw new Error(`bench: ${target} is ${listed.state} after the last delete`);

          // Back to Delete (else deleting the profile would orphan its N policies): the second full verdict.
          const back = await patchProfileSpec(env.kc, name, { deletionPolicy: "Delete" });
          const g3 = back.metadata.generation ?? g2 + 1;
          const b0 = performance.now();
          fullBackMs = (await nextStatus(profiles, name, readyWith(g3, bypassed), `${name} at generation ${String(g3)} with ${String(bypassed)} bypassed`, 120_000)) - b0;
          progress(`bypass: full verdict again (Orphan → Delete) ${fullBackMs.toFixed(0)} ms; deleting ${name} and its ${String(n)} policies`);
          policies.reset();
          await deleteProfile(env.kc, name);
          await allDeleted(policies, policyName(name), n, 300_000 + n * 60, `the ${String(n)} policies of ${name} to be deleted`);
          await until(() => (profiles.gone(name) ? true : undefined), `${name} to be gone`, 300_000, 200);
        } finally {
          clearInterval(sampler);
        }
      });
    } finally {
      await callIdempotent(env.kc, "DELETE", `${NP_PATH(target)}/${TOGGLE_NAME}`);
    }
    progress(`bypass: deleting ${String(n)} tenant policies`);
    await pool(Array.from({ length: n }, (_, i) => tenantPolicy(i)), SETUP_CONCURRENCY, (p) => callIdempotent(env.kc, "DELETE", `${NP_PATH(p.metadata.namespace ?? "")}/${p.metadata.name}`));

    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    const peak = Math.max(...rssSamples);
    console.log(`\nbypass: ${String(n)} namespaces, ${String(n)} generated + ${String(n)} tenant NetworkPolicies (${String(bypassed)} bypassing: every ${String(BYPASS_EVERY)}th), ${perNs > 0 ? String(n * perNs) : "no (or earlier scenarios')"} pods, one allow-same-namespace profile; ${describeLimits(DEFAULT_LIMITS)}`);
    console.log(`operator NODE_OPTIONS: ${nodeOptions || "(none)"}\n`);
    table(
      ["figure", "measured", "target", "ratio"],
      [
        ["full verdict ms (PATCH → status)", fullMs.toFixed(0), "2000", (fullMs / 2000).toFixed(3)],
        ["  again, after the changes", fullBackMs.toFixed(0), "2000", (fullBackMs / 2000).toFixed(3)],
        [`  operator reconcile ms (${String(fullPassCount)} passes, sum)`, fullPassMs.toFixed(0), "", ""],
        [`one change → verdict p50 ms (${String(latencies.length)})`, p50.toFixed(0), "", ""],
        ["one change → verdict p99 ms", p99.toFixed(0), "100", (p99 / 100).toFixed(3)],
        ["  → Bypassed p50 / p99 ms", `${percentile(toBypassed, 50).toFixed(0)} / ${percentile(toBypassed, 99).toFixed(0)}`, "", ""],
        ["  → Isolated p50 / p99 ms", `${percentile(toIsolated, 50).toFixed(0)} / ${percentile(toIsolated, 99).toFixed(0)}`, "", ""],
        ["  operator reconcile ms per pass (mean)", samplePassMs.toFixed(0), "", ""],
        ["RSS MiB (median of 15 s)", rss.toFixed(1), "200", (rss / 200).toFixed(3)],
        ["RSS peak MiB / heap used MiB", `${peak.toFixed(1)} / ${heapMiB.toFixed(1)}`, "", ""],
        ["rollout s (create → Ready, bypassed counted)", secs(rolloutMs), "", ""],
      ],
    );
    return {
      bypass_namespaces: n,
      bypass_pods_per_namespace: perNs,
      bypass_expected_bypassed: bypassed,
      bypass_full_ms: round(fullMs, 1),
      bypass_full_ratio: round(fullMs / 2000, 3),
      bypass_full_again_ms: round(fullBackMs, 1),
      bypass_full_reconcile_ms: round(fullPassMs, 1),
      bypass_full_passes: fullPassCount,
      bypass_verdict_p50_ms: round(p50, 1),
      bypass_verdict_p99_ms: round(p99, 1),
      bypass_verdict_ratio: round(p99 / 100, 3),
      bypass_verdict_max_ms: round(Math.max(...latencies), 1),
      bypass_verdict_pass_ms: round(samplePassMs, 1),
      bypass_verdict_samples: latencies.length,
      bypass_rss_mib: round(rss, 1),
      bypass_rss_ratio: round(rss / 200, 3),
      bypass_rss_peak_mib: round(peak, 1),
      bypass_heap_used_mib: round(heapMiB, 1),
      bypass_rollout_s: round(rolloutMs / 1000),
      bypass_tenant_setup_s: round(tenantMs / 1000),
    };
  },
};
