/**
 * Memory: the operator's resident set with N namespaces, N generated
 * NetworkPolicies, N tenant NetworkPolicies (the bypass scenario's: the
 * operator caches every policy to judge effective isolation) and 2·N pods (no
 * kubelet: created through the API). Sampled from /proc/<pid>/status VmRSS
 * every second from start to settle; the figure is the RSS once everything is
 * in place and the status counts every pod.
 */
import { parseArgs } from "node:util";
import type { NetworkPolicy } from "../../src/k8s/objects.js";
import { policyName } from "../../src/policy/naming.js";
import type { Scenario } from "../index.js";
import { benchEnv, OPERATOR_NAMESPACE } from "../lib/env.js";
import { DEFAULT_LIMITS } from "../lib/kube.js";
import { startOperator } from "../lib/operator.js";
import { createProfile, ProfileWatch } from "../lib/profile.js";
import { median, progress, round, sleep, table, until } from "../lib/report.js";
import { TimedWatch } from "../lib/watch.js";
import { bypassSpec, ensureTenantPolicies, expectedBypassed } from "./bypass.js";
import { lastAdded } from "./converge.js";

export const scenario: Scenario = {
  name: "memory",
  description: "operator RSS with N namespaces, N generated and N tenant policies, pods-per-namespace × N pods (options: --namespaces 10000 --pods-per-namespace 2 --tenant-policies N)",
  async run(args) {
    const { values } = parseArgs({ args, options: { namespaces: { type: "string", default: "10000" }, "pods-per-namespace": { type: "string", default: "2" }, "tenant-policies": { type: "string" } } });
    const n = Number(values.namespaces);
    const perNs = Number(values["pods-per-namespace"]);
    const tenants = values["tenant-policies"] === undefined ? n : Number(values["tenant-policies"]);
    const env = await benchEnv();
    const selector = await env.ensureNamespaces(n);
    progress(`memory: ${String(tenants)} tenant policies`);
    await ensureTenantPolicies(env, tenants);
    const name = `memory-${String(n)}`;
    const policies = await new TimedWatch<NetworkPolicy>(env.kc, "/apis/networking.k8s.io/v1/networkpolicies").start();
    const profiles = await new ProfileWatch(env.kc).start();
    const operator = await startOperator(env.kubeconfigPath, OPERATOR_NAMESPACE, DEFAULT_LIMITS);
    const samples: number[] = [];
    const sampler = setInterval(() => {
      try {
        samples.push(operator.rssMiB());
      } catch {
        // exited
      }
    }, 1000);
    let settled: number[] = [];
    let metricMiB = 0;
    let heapMiB = 0;
    try {
      await operator.ready();
      await createProfile(env.kc, name, bypassSpec(selector));
      progress(`memory: ${name} rolling out ${String(n)} policies`);
      await lastAdded(policies, policyName(name), n, 1_800_000, "the profile's policies");
      progress(`memory: creating ${String(n * perNs)} pods`);
      await env.ensurePods(n, perNs);
      // The bypass scenario's profile: it isolates the `app: web` pods (the even ones), except in the bypassed namespaces.
      const bypassed = expectedBypassed(tenants);
      const isolatedPods = (n - bypassed) * Math.ceil(perNs / 2);
      await until(
        () => (profiles.current(name)?.status?.isolatedPods === isolatedPods && profiles.current(name)?.status?.bypassedNamespaces === bypassed ? true : undefined),
        `status.isolatedPods = ${String(isolatedPods)} and bypassedNamespaces = ${String(bypassed)}`,
        600_000,
        500,
      );
      progress("memory: everything in place; sampling RSS for 15 s");
      await sleep(3000);
      const from = samples.length;
      await sleep(15_000);
      settled = samples.slice(from);
      metricMiB = ((await operator.metric("netfence_process_resident_memory_bytes")) ?? 0) / 2 ** 20;
      heapMiB = ((await operator.metric("netfence_nodejs_heap_size_used_bytes")) ?? 0) / 2 ** 20;
    } catch (err) {
      console.error(`operator log tail:\n${operator.logs(40)}`);
      throw err;
    } finally {
      clearInterval(sampler);
      await operator.stop();
      policies.stop();
      profiles.stop();
    }
    const rss = median(settled);
    const peak = Math.max(...samples);
    console.log(`\nmemory: ${String(n)} namespaces, ${String(n)} generated + ${String(tenants)} tenant policies, ${String(n * perNs)} pods (caches: identity and labels of namespaces and pods, every policy's spec, labels, annotations and owners)`);
    console.log(`operator NODE_OPTIONS: ${operator.nodeOptions || "(none)"}\n`);
    table(["RSS settled MiB (median of 15 s)", "RSS peak MiB", "process_resident_memory MiB", "heap used MiB"], [[rss.toFixed(1), peak.toFixed(1), metricMiB.toFixed(1), heapMiB.toFixed(1)]]);
    console.log("target: ≤ 200 MiB\n");
    return { rss_mib: round(rss, 1), rss_peak_mib: round(peak, 1), heap_used_mib: round(heapMiB, 1), rss_tenant_policies: tenants };
  },
};
