/**
 * The fault suite's kill -9 test, larger: SIGKILL the operator `--kills` times
 * at random points of an N-namespace rollout (the selection shrinking half-way),
 * then one clean start; count missing, orphaned and duplicate policies and
 * users' policies modified (all targets 0).
 */
import { parseArgs } from "node:util";
import { LABEL_MANAGED_BY, LABEL_PROFILE, MANAGED_BY_VALUE } from "../../src/api/constants.js";
import { getJson } from "../../src/io/client.js";
import type { NetworkPolicy } from "../../src/k8s/objects.js";
import { profileLabelValue } from "../../src/policy/naming.js";
import type { Scenario } from "../index.js";
import { benchEnv, firstLabel, OPERATOR_NAMESPACE, poolName } from "../lib/env.js";
import { call, DEFAULT_LIMITS, MERGE_PATCH, NP_PATH, pool } from "../lib/kube.js";
import { startOperator } from "../lib/operator.js";
import { createProfile, deleteProfile, isReadyAt, PROFILES_PATH } from "../lib/profile.js";
import { progress, sleep, table, until } from "../lib/report.js";
import type { IsolationProfile } from "../../src/api/types.js";

export const scenario: Scenario = {
  name: "killrollout",
  description: "kill -9 the operator at random points of a rollout, then count missing/orphaned/duplicate policies (options: --namespaces 2000 --kills 20)",
  async run(args) {
    const { values } = parseArgs({ args, options: { namespaces: { type: "string", default: "2000" }, kills: { type: "string", default: "20" } } });
    const n = Number(values.namespaces);
    const kills = Number(values.kills);
    const env = await benchEnv();
    const selector = await env.ensureNamespaces(n);
    const names = Array.from({ length: n }, (_, i) => poolName(i));
    const deselect = names.slice(0, Math.floor(n / 20));
    const name = `killrollout-${Date.now().toString(36)}`;
    const users = new Map<string, string>();
    for (const ns of names.slice(0, 20)) {
      const p = (await call(env.kc, "POST", NP_PATH(ns), { metadata: { name: `user-${name}`, labels: { owner: "alice" } }, spec: { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] } })) as NetworkPolicy;
      users.set(ns, p.metadata.resourceVersion ?? "");
    }
    const limits = { ...DEFAULT_LIMITS, qps: 100, burst: 100 };
    const owned = async () => {
      const sel = `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE},${LABEL_PROFILE}=${profileLabelValue(name)}`;
      return ((await getJson(env.kc, "/apis/networking.k8s.io/v1/networkpolicies", { query: { labelSelector: sel } })) as { items: NetworkPolicy[] }).items;
    };
    await createProfile(env.kc, name, { preset: "deny-all", namespaces: { selector: { matchLabels: selector } } });
    const rows: string[][] = [];
    for (let k = 0; k < kills; k++) {
      const op = await (await startOperator(env.kubeconfigPath, OPERATOR_NAMESPACE, limits)).ready();
      const wait = 200 + Math.random() * 1500;
      await sleep(wait);
      if (k === Math.floor(kills / 2)) await pool(deselect, 32, (ns) => call(env.kc, "PATCH", `/api/v1/namespaces/${ns}`, { metadata: { labels: { [firstLabel(n)]: null } } }, MERGE_PATCH));
      await op.stop("SIGKILL");
      const count = (await owned()).length;
      rows.push([String(k + 1), (wait / 1000).toFixed(2), String(count)]);
      progress(`kill ${String(k + 1)}/${String(kills)} after ${(wait / 1000).toFixed(2)}s: ${String(count)} policies`);
    }
    const op = await (await startOperator(env.kubeconfigPath, OPERATOR_NAMESPACE, limits)).ready();
    const t0 = performance.now();
    let convergedS = 0;
    const selected = new Set(names.slice(deselect.length));
    const counts = { missing: 0, orphaned: 0, duplicates: 0, userModified: 0 };
    try {
      await until(async () => {
        const p = (await getJson(env.kc, `${PROFILES_PATH}/${name}`)) as IsolationProfile;
        return isReadyAt(p) && p.status?.selectedNamespaces === selected.size ? true : undefined;
      }, "Ready after the last start", 600_000, 250);
      convergedS = (performance.now() - t0) / 1000;
      const per = new Map<string, number>();
      for (const p of await owned()) per.set(p.metadata.namespace ?? "", (per.get(p.metadata.namespace ?? "") ?? 0) + 1);
      counts.missing = [...selected].filter((ns) => !per.has(ns)).length;
      counts.orphaned = [...per.keys()].filter((ns) => !selected.has(ns)).length;
      counts.duplicates = [...per.values()].filter((c) => c > 1).length;
      for (const [ns, rv] of users) {
        const p = (await getJson(env.kc, `${NP_PATH(ns)}/user-${name}`)) as NetworkPolicy;
        if (p.metadata.resourceVersion !== rv) counts.userModified++;
      }
      await deleteProfile(env.kc, name);
      await until(async () => ((await owned()).length === 0 ? true : undefined), "cleanup", 600_000, 500);
      // Restore the pool's labels for later scenarios.
      await pool(deselect, 32, (ns) => call(env.kc, "PATCH", `/api/v1/namespaces/${ns}`, { metadata: { labels: { [firstLabel(n)]: "yes" } } }, MERGE_PATCH));
    } finally {
      await op.stop();
    }
    console.log(`\nkill -9 during a rollout of ${String(n)} namespaces (qps 100), ${String(deselect.length)} deselected after kill ${String(Math.floor(kills / 2) + 1)}\n`);
    table(["kill", "after s", "policies at kill"], rows);
    table(["converged s", "missing", "orphaned", "duplicate", "user policies modified"], [[convergedS.toFixed(1), String(counts.missing), String(counts.orphaned), String(counts.duplicates), String(counts.userModified)]]);
    return { kill_count: kills, kill_missing: counts.missing, kill_orphaned: counts.orphaned, kill_duplicates: counts.duplicates, kill_user_modified: counts.userModified, kill_converged_s: Math.round(convergedS * 10) / 10 };
  },
};
