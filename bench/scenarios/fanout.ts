/**
 * Update fan-out: a profile's spec changes; how long until all N policies carry
 * it, against a bare client applying (server-side apply, same field manager)
 * the same N new bodies at the same limits. Counts DELETED events of managed
 * policies while the update rolls out (target 0: updates never delete).
 */
import { parseArgs } from "node:util";
import { ANNOTATION_SPEC_HASH } from "../../src/api/constants.js";
import type { NetworkPolicy } from "../../src/k8s/objects.js";
import { policyName } from "../../src/policy/naming.js";
import type { Scenario } from "../index.js";
import { benchEnv } from "../lib/env.js";
import { APPLY_PATCH, DEFAULT_LIMITS, describeLimits, floorWrites, NP_PATH, type Limits } from "../lib/kube.js";
import { createProfile, deleteProfile, patchProfileSpec, renderBodies } from "../lib/profile.js";
import { median, progress, round, secs, table, until } from "../lib/report.js";
import { withRig } from "../lib/rig.js";
import { TimedWatch } from "../lib/watch.js";
import { allDeleted, benchSpec, deleteFloor, FLOOR_NAME, floorBodies, lastAdded, namespaceObjects } from "./converge.js";

/** The other spec: allow-by-label with a peer (every policy's spec changes). */
function alternateSpec(selector: Record<string, string>): Record<string, unknown> {
  return { preset: "allow-by-label", allowedPeers: [{ podSelector: { matchLabels: { access: "true" } } }], namespaces: { selector: { matchLabels: selector } } };
}

/** Waits until `count` policies named `name` carry `hash`, modified since the last reset; the time of the last such event. */
async function lastModifiedTo(watch: TimedWatch<NetworkPolicy>, name: string, hash: string, count: number, timeoutMs: number, what: string): Promise<number> {
  return until(() => {
    let n = 0;
    let last = 0;
    for (const [key, s] of watch.seen) {
      if (!key.endsWith(`/${name}`) || s.object.metadata.annotations?.[ANNOTATION_SPEC_HASH] !== hash || s.modified.length === 0) continue;
      n++;
      last = Math.max(last, s.modified[s.modified.length - 1] ?? 0);
    }
    return n >= count ? last : undefined;
  }, what, timeoutMs);
}

export const scenario: Scenario = {
  name: "fanout",
  description: "profile spec change rolled out to N policies vs. a bare client applying the same bodies (options: --namespaces 2000 --runs 3)",
  async run(args) {
    const { values } = parseArgs({ args, options: { namespaces: { type: "string", default: "2000" }, runs: { type: "string", default: "3" } } });
    const n = Number(values.namespaces);
    const runs = Number(values.runs);
    const limits: Limits = DEFAULT_LIMITS;
    const env = await benchEnv();
    const selector = await env.ensureNamespaces(n);
    const nsObjects = namespaceObjects(n, selector);
    const name = `fanout-${String(n)}`;
    const specs = [benchSpec(selector), alternateSpec(selector)];
    const bodies = specs.map((spec) => renderBodies(name, spec, nsObjects));
    const hashes = bodies.map((b) => b[0]?.metadata.annotations?.[ANNOTATION_SPEC_HASH] ?? "");
    const rows: string[][] = [];
    const ratios: number[] = [];
    let deletedTotal = 0;
    await withRig(env, limits, async ({ policies, profiles, operator }) => {
      await operator.ready();
      progress(`fan-out: rolling out ${name} and the floor's ${String(n)} policies (untimed)`);
      const created = await createProfile(env.kc, name, specs[0] ?? {});
      await lastAdded(policies, policyName(name), n, 900_000, "the profile's policies");
      await until(() => profiles.ready(name, created.metadata.generation ?? 1), `${name} Ready`, 300_000);
      await floorWrites(env.kc, limits, floorBodies(bodies[0] ?? []), (p) => ({ method: "POST", path: NP_PATH(p.metadata.namespace ?? ""), body: p, query: { fieldManager: "netfence" } }));
      await lastAdded(policies, FLOOR_NAME, n, 900_000, "the floor's policies");

      for (let r = 0; r < runs; r++) {
        const to = (r + 1) % 2;
        const hash = hashes[to] ?? "";
        policies.reset();
        const f0 = performance.now();
        const res = await floorWrites(env.kc, limits, floorBodies(bodies[to] ?? []), (p) => ({
          method: "PATCH",
          path: `${NP_PATH(p.metadata.namespace ?? "")}/${FLOOR_NAME}`,
          body: p,
          contentType: APPLY_PATCH,
          query: { fieldManager: "netfence", force: "true" },
        }));
        if (res.failed) throw new Error(`floor update: ${String(res.failed)} failed: ${res.firstError ?? ""}`);
        const floorMs = (await lastModifiedTo(policies, FLOOR_NAME, hash, n, 900_000, "the floor's updates")) - f0;

        policies.reset();
        const o0 = performance.now();
        const spec = specs[to] ?? {};
        const patched = await patchProfileSpec(env.kc, name, to === 0 ? { ...spec, allowedPeers: null } : spec);
        const generation = patched.metadata.generation ?? 0;
        const lastPolicy = await lastModifiedTo(policies, policyName(name), hash, n, 900_000, "the operator's updates");
        const ready = await until(() => profiles.ready(name, generation), `${name} Ready at generation ${String(generation)}`, 300_000);
        const operatorMs = Math.max(lastPolicy, ready) - o0;
        const deleted = [...policies.seen].filter(([k, s]) => k.endsWith(`/${policyName(name)}`) && s.deleted !== undefined).length;
        deletedTotal += deleted;
        ratios.push(operatorMs / floorMs);
        rows.push([String(r + 1), secs(floorMs), secs(operatorMs), (operatorMs / floorMs).toFixed(3), String(deleted)]);
        progress(`fan-out run ${String(r + 1)}/${String(runs)}: floor ${secs(floorMs)}s, operator ${secs(operatorMs)}s, DELETED ${String(deleted)}`);
      }
      policies.reset();
      await deleteProfile(env.kc, name);
      await allDeleted(policies, policyName(name), n, 900_000, "the profile's policies to be deleted");
      await deleteFloor(env, policies, n);
    });
    rows.push(["median", "", "", median(ratios).toFixed(3), String(deletedTotal)]);
    console.log(`\nupdate fan-out, N = ${String(n)}; ${describeLimits(limits)}\n`);
    table(["run", "T_floor_update s", "T_operator_update s", "ratio", "DELETED (managed)"], rows);
    return { [`fanout_${String(n)}_ratio`]: round(median(ratios), 3), fanout_deleted: deletedTotal, [`fanout_${String(n)}_ratio_min`]: round(Math.min(...ratios), 3), [`fanout_${String(n)}_ratio_max`]: round(Math.max(...ratios), 3) };
  },
};
