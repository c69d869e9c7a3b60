/**
 * Steady state: with a profile over N namespaces in place and Ready, count the
 * operator's mutating requests (audit log) during an idle window, then across
 * a restart (SIGTERM, start, sync, first reconciles, and a while after).
 * Target 0 and 0: a level-triggered operator with nothing to change writes nothing.
 */
import { parseArgs } from "node:util";
import { policyName } from "../../src/policy/naming.js";
import type { Scenario } from "../index.js";
import { operatorWrites } from "../lib/audit.js";
import { benchEnv, OPERATOR_NAMESPACE } from "../lib/env.js";
import { DEFAULT_LIMITS } from "../lib/kube.js";
import { startOperator } from "../lib/operator.js";
import { createProfile, deleteProfile } from "../lib/profile.js";
import { progress, sleep, table, until } from "../lib/report.js";
import { withRig } from "../lib/rig.js";
import { allDeleted, benchSpec, lastAdded } from "./converge.js";

const AUDIT_FLUSH_MS = 2000;

export const scenario: Scenario = {
  name: "steady",
  description: "mutating requests while idle and across a restart with everything in place (options: --namespaces 2000 --idle 60 --after-restart 15)",
  async run(args) {
    const { values } = parseArgs({ args, options: { namespaces: { type: "string", default: "2000" }, idle: { type: "string", default: "60" }, "after-restart": { type: "string", default: "15" } } });
    const n = Number(values.namespaces);
    const env = await benchEnv();
    const selector = await env.ensureNamespaces(n);
    const name = `steady-${String(n)}`;
    let restartToReadyMs = 0;
    let rolloutFrom = 0;
    let rolloutTo = 0;
    const { idle, restart, rollout } = await withRig(env, DEFAULT_LIMITS, async (rig) => {
      const { policies, profiles } = rig;
      await rig.operator.ready();
      rolloutFrom = Date.now();
      const created = await createProfile(env.kc, name, benchSpec(selector));
      await lastAdded(policies, policyName(name), n, 900_000, "the profile's policies");
      await until(() => profiles.ready(name, created.metadata.generation ?? 1), `${name} Ready`, 300_000);
      rolloutTo = Date.now();
      await sleep(5000);
      progress(`steady: ${String(n)} policies in place; counting writes for ${values.idle}s idle`);
      const a = Date.now();
      await sleep(Number(values.idle) * 1000);
      const b = Date.now();
      progress("steady: restarting the operator (SIGTERM, start, sync)");
      const c = Date.now();
      await rig.operator.stop("SIGTERM");
      const operator = (rig.operator = await startOperator(env.kubeconfigPath, OPERATOR_NAMESPACE, DEFAULT_LIMITS));
      await operator.ready();
      await until(async () => (((await operator.metric("netfence_reconcile_total", 'result="success"')) ?? 0) >= 1 ? true : undefined), "a reconcile after the restart", 120_000);
      restartToReadyMs = Date.now() - c;
      await sleep(Number(values["after-restart"]) * 1000);
      const d = Date.now();
      await sleep(AUDIT_FLUSH_MS);
      const counted = {
        rollout: operatorWrites(env.plane.auditLogPath, rolloutFrom, rolloutTo),
        idle: operatorWrites(env.plane.auditLogPath, a, b),
        restart: operatorWrites(env.plane.auditLogPath, c, d),
      };
      policies.reset();
      await deleteProfile(env.kc, name);
      await allDeleted(policies, policyName(name), n, 900_000, "the profile's policies to be deleted");
      return counted;
    });
    const detail = (w: { byKind: Record<string, number> }) => Object.entries(w.byKind).map(([k, v]) => `${k}: ${String(v)}`).join(", ") || "none";
    console.log(`\nsteady state, ${String(n)} namespaces and policies in place (audit log: mutating requests on networkpolicies, isolationprofiles, events, leases)\n`);
    table(["window", "seconds", "mutating requests", "which"], [
      ["rollout (control: the counter sees the operator's writes)", ((rolloutTo - rolloutFrom) / 1000).toFixed(1), String(rollout.total), detail(rollout)],
      ["idle", values.idle, String(idle.total), detail(idle)],
      ["restart (stop → ready → first reconcile → +" + values["after-restart"] + "s)", ((restartToReadyMs / 1000) + Number(values["after-restart"])).toFixed(1), String(restart.total), detail(restart)],
    ]);
    console.log("target: 0 and 0\n");
    return { steady_writes_idle: idle.total, steady_writes_restart: restart.total, steady_restart_to_reconcile_s: Math.round(restartToReadyMs / 100) / 10 };
  },
};
