/**
 * Isolation on the wire (src/dataplane/): Calico felix enforcing the policies
 * netfence writes, measured by real packets.
 *  - time to isolation: a namespace with a pod is created under a selecting
 *    deny-ingress profile; from the create request until packets from another
 *    namespace are dropped while the pod's own packets get out (proof felix
 *    has programmed the pod, so "dropped" is the policy, not an unknown pod);
 *    the same with the profile enforced in the Admin tier (an AdminNetworkPolicy
 *    selecting the namespaces by label, there before the namespace is);
 *  - profile change → verdict: the profile starts admitting the other
 *    namespace; from the patch until its packets get through.
 * Needs root with CAP_NET_ADMIN and felix built (`npm run dataplane:build`);
 * without them, or while another data plane holds the machine, it says why in
 * one line and measures nothing (its keys are left out), as `netfence demo` does.
 */
import { parseArgs } from "node:util";
import type { IsolationProfile } from "../../src/api/types.js";
import { getJson } from "../../src/io/client.js";
import { DataPlane } from "../../src/dataplane/dataplane.js";
import { packetSupport } from "../../src/demo/packets.js";
import type { ProbeSpec } from "../../src/dataplane/probe.js";
import type { Scenario } from "../index.js";
import { benchEnv, OPERATOR_NAMESPACE } from "../lib/env.js";
import { call, callIdempotent, DEFAULT_LIMITS } from "../lib/kube.js";
import { createProfile, deleteProfile, patchProfileSpec } from "../lib/profile.js";
import { percentile, progress, round, table, until } from "../lib/report.js";
import { withRig } from "../lib/rig.js";

const PROBE_MS = 100;

/** Probes until `done` holds; returns the send time (ms since t0) of the first probe round for which it held. */
async function timeUntil(plane: DataPlane, specs: readonly ProbeSpec[], done: (allowed: boolean[]) => boolean, t0: number, timeoutMs: number): Promise<number> {
  for (;;) {
    const sent = performance.now();
    const results = await Promise.all(specs.map((s) => plane.probe(s, { retryDenied: false, timeoutMs: PROBE_MS })));
    if (done(results.map((r) => r.allowed))) return sent - t0;
    if (sent - t0 > timeoutMs) throw new Error(`no verdict change within ${String(timeoutMs / 1000)}s`);
  }
}

export const scenario: Scenario = {
  name: "dataplane",
  description: "namespace created under a profile → packets from another namespace dropped by felix; profile change → new verdict on the wire (options: --count 15)",
  async run(args): Promise<Record<string, number | string>> {
    const { values } = parseArgs({ args, options: { count: { type: "string", default: "15" } } });
    const count = Number(values.count);
    const support = await packetSupport();
    if (!support.ok) {
      console.log(`dataplane: skipped, real packets are not possible here (${support.reason})`);
      return {};
    }
    const env = await benchEnv();
    const run = Date.now().toString(36);
    const label = `bench.netfence.io/dataplane-${run}`;
    const client = `bdp-${run}-client`;
    const created: string[] = [client];
    await call(env.kc, "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: client } });
    await callIdempotent(env.kc, "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: OPERATOR_NAMESPACE } });
    const plane = await DataPlane.start({ kubeconfig: env.kubeconfigPath, podCidr: "10.3.0.0/16", felix: support.felix });
    const isolation: number[] = [];
    const adminIsolation: number[] = [];
    const change: number[] = [];
    try {
      await plane.addPods([{ pod: { metadata: { name: "client", namespace: client } } }]);
      await withRig(env, DEFAULT_LIMITS, async ({ profiles, operator }) => {
        await operator.ready();
        /** Namespaces created one by one under a profile enforced with `enforcement`, each until its pod is routable and isolated. */
        const timeToIsolation = async (enforcement: "NetworkPolicy" | "AdminTier", tag: string): Promise<{ name: string; samples: number[] }> => {
          const name = `bdp-${run}${tag}`;
          const selector = { [label]: tag ? tag.slice(1) : "true" };
          const p = await createProfile(env.kc, name, { preset: "deny-ingress", enforcement, namespaces: { selector: { matchLabels: selector } } });
          await until(() => profiles.ready(name, p.metadata.generation ?? 1), `${name} Ready`, 60_000);
          // What this phase claims to measure, read back: a fall-back to NetworkPolicies must not count as the Admin tier.
          const status = ((await getJson(env.kc, `/apis/netfence.io/v1alpha1/isolationprofiles/${name}`)) as IsolationProfile).status?.enforcement;
          if (status?.mode !== (enforcement === "AdminTier" ? "AdminTier" : "NetworkPolicy")) throw new Error(`bench: ${name} status.enforcement is ${JSON.stringify(status)}, expected mode ${enforcement}`);
          progress(`time to isolation (${enforcement}): ${String(count)} namespaces, one pod each, created under ${name}`);
          const samples: number[] = [];
          for (let i = 0; i < count; i++) {
            const ns = `bdp-${run}${tag}-${String(i).padStart(3, "0")}`;
            created.push(ns);
            const t0 = performance.now();
            await call(env.kc, "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns, labels: selector } });
            await plane.addPods([{ pod: { metadata: { name: "web", namespace: ns } } }]);
            const inbound: ProbeSpec = { from: `${client}/client`, to: `${ns}/web`, protocol: "ICMP" };
            const outbound: ProbeSpec = { from: `${ns}/web`, to: `${client}/client`, protocol: "ICMP" };
            samples.push(await timeUntil(plane, [outbound, inbound], ([out, into]) => out === true && into === false, t0, 30_000));
          }
          return { name, samples };
        };
        const admin = await timeToIsolation("AdminTier", "-admin");
        adminIsolation.push(...admin.samples);
        await deleteProfile(env.kc, admin.name);
        const { name, samples } = await timeToIsolation("NetworkPolicy", "");
        isolation.push(...samples);
        progress(`profile change → verdict: ${name} admits ${client}, then stops, ${String(count)} times`);
        const target: ProbeSpec = { from: `${client}/client`, to: `bdp-${run}-000/web`, protocol: "ICMP" };
        const admit = { allowedPeers: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": client } } }] };
        for (let i = 0; i < count; i++) {
          let t0 = performance.now();
          await patchProfileSpec(env.kc, name, admit);
          change.push(await timeUntil(plane, [target], ([a]) => a === true, t0, 30_000));
          t0 = performance.now();
          await patchProfileSpec(env.kc, name, { allowedPeers: null });
          await timeUntil(plane, [target], ([a]) => a === false, t0, 30_000);
        }
        await deleteProfile(env.kc, name);
      });
    } finally {
      await plane.stop();
      await Promise.all(created.map((ns) => callIdempotent(env.kc, "DELETE", `/api/v1/namespaces/${ns}`))).catch(() => undefined);
    }
    const row = (what: string, xs: number[]) => [what, String(xs.length), percentile(xs, 50).toFixed(0), percentile(xs, 99).toFixed(0), Math.max(...xs).toFixed(0)];
    console.log(`\nreal packets through Calico felix (probe timeout ${String(PROBE_MS)} ms, so times are within about that)\n`);
    table(["measured", "samples", "p50 ms", "p99 ms", "max ms"], [row("namespace created → dropped (NetworkPolicy)", isolation), row("namespace created → dropped (Admin tier)", adminIsolation), row("profile change → allowed", change)]);
    console.log("goal: p99 ≤ 1000 ms end to end\n");
    return {
      dataplane_isolation_p50_ms: round(percentile(isolation, 50), 1),
      dataplane_isolation_p99_ms: round(percentile(isolation, 99), 1),
      admin_new_ns_wire_p50_ms: round(percentile(adminIsolation, 50), 1),
      admin_new_ns_wire_p99_ms: round(percentile(adminIsolation, 99), 1),
      dataplane_profile_change_p50_ms: round(percentile(change, 50), 1),
      dataplane_profile_change_p99_ms: round(percentile(change, 99), 1),
    };
  },
};
