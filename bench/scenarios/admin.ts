/**
 * The Admin tier beside NetworkPolicies, side by side in one run: converge's
 * profile (deny-all over N namespaces selected by label) enforced first with
 * NetworkPolicies, then in the Admin tier, by one operator told its data
 * plane enforces NetworkPolicy and AdminNetworkPolicy (felix v3.31's
 * AdminNetworkPolicy CRD installed before it starts, so discovery serves it).
 * For each enforcement:
 *  - writes: the requests netfence made on policy objects, read from the
 *    audit log (create, update, patch, delete of NetworkPolicies and of the
 *    Admin-tier object). Counted honestly: the Admin tier's figure is its one
 *    object PLUS the residual NetworkPolicies, which still judge ingress from
 *    outside the cluster (the Admin tier's ingress has no address peers).
 *  - converge: from the profile's create request until the independent
 *    watches have seen every NetworkPolicy (and, in the Admin tier, the
 *    AdminNetworkPolicy) and the profile is Ready at its generation; then
 *    status.enforcement and, in the Admin tier, the object read back with a
 *    GET of the bench's own (owned by the profile) confirm what was measured.
 */
import { parseArgs } from "node:util";
import type { IsolationProfile } from "../../src/api/types.js";
import { installAdminNetworkPolicyCrd } from "../../src/controlplane/network-policy-api.js";
import { getJson } from "../../src/io/client.js";
import { classify } from "../../src/io/errors.js";
import { policyName } from "../../src/policy/naming.js";
import type { Scenario } from "../index.js";
import { auditMark, operatorWrites, POLICY_RESOURCES, type Writes } from "../lib/audit.js";
import { benchEnv, type BenchEnv } from "../lib/env.js";
import { callIdempotent, DEFAULT_LIMITS, describeLimits } from "../lib/kube.js";
import { createProfile, deleteProfile } from "../lib/profile.js";
import { progress, round, secs, sleep, table, until } from "../lib/report.js";
import { withRig, type Rig } from "../lib/rig.js";
import { TimedWatch } from "../lib/watch.js";
import { allDeleted, benchSpec, lastAdded } from "./converge.js";

const CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
const ANP_CRD = "adminnetworkpolicies.policy.networking.k8s.io";
const ANP_PATH = "/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies";
/** As test/integration/admin-enforce.test.ts declares it: felix v3.31 enforces both kinds. */
const DATA_PLANE_ARGS = ["--data-plane=felix-3.31", "--data-plane-enforces=NetworkPolicy,AdminNetworkPolicy"];
/** Counting goes on this long after convergence, so writes a rollout causes late (a status write, an event) count too. */
const SETTLE_MS = 5000;
/**
 * Before each rollout: the operator's token bucket full again (burst / qps, and
 * a second), so the second rollout does not start with the tokens the first's
 * cleanup (N deletes) spent: otherwise the order, not the tier, decides.
 */
const REFILL_MS = (DEFAULT_LIMITS.burst / DEFAULT_LIMITS.qps) * 1000 + 1000;
/** The audit log is written in batches of at most 1 s. */
const AUDIT_FLUSH_MS = 2000;

type Enforcement = "NetworkPolicy" | "AdminTier";

interface AdminObject {
  metadata: { name?: string; namespace?: string; resourceVersion?: string; ownerReferences?: { uid: string }[] };
}

interface Phase {
  enforcement: Enforcement;
  /** Create → everything seen and Ready at the generation. */
  convergeMs: number;
  firstPolicyMs: number;
  lastPolicyMs: number;
  adminMs: number | undefined;
  readyMs: number;
  cleanupMs: number;
  /** NetworkPolicies and Admin-tier objects in place at convergence (the watches). */
  policiesInPlace: number;
  adminInPlace: number;
  /** Everything netfence wrote in the window; the bench's own profile create left out. */
  writes: Writes;
  /** Write requests on NetworkPolicies and Admin-tier objects: the headline. */
  policyWrites: number;
  npWrites: number;
  adminWrites: number;
  windowMs: number;
}

async function anpCrdServed(env: BenchEnv): Promise<boolean> {
  try {
    await getJson(env.kc, `${CRDS}/${ANP_CRD}`);
    return true;
  } catch (err) {
    if (classify(err).kind === "NotFound") return false;
    throw err;
  }
}

/** felix's AdminNetworkPolicy CRD, unless the cluster has it (the dataplane scenario installs Calico's); true when this call installed it. */
async function ensureAnpCrd(env: BenchEnv): Promise<boolean> {
  if (await anpCrdServed(env)) return false;
  await installAdminNetworkPolicyCrd(env.kc);
  return true;
}

/** Leaves the cluster as the next scenario expects it: without the CRD this scenario installed. */
async function removeAnpCrd(env: BenchEnv): Promise<void> {
  await callIdempotent(env.kc, "DELETE", `${CRDS}/${ANP_CRD}`);
  await until(async () => ((await anpCrdServed(env)) ? undefined : true), "the AdminNetworkPolicy CRD to be deleted", 120_000, 250);
}

/** What the phase claims to measure, read back; throws when the operator enforced the profile otherwise. */
async function confirm(env: BenchEnv, profile: IsolationProfile | undefined, enforcement: Enforcement, object: string, admins: TimedWatch<AdminObject>): Promise<void> {
  const status = profile?.status?.enforcement;
  const name = profile?.metadata.name ?? "";
  if (enforcement === "NetworkPolicy") {
    if (status?.mode !== "NetworkPolicy") throw new Error(`bench: ${name} status.enforcement is ${JSON.stringify(status)}, expected mode NetworkPolicy`);
    if (admins.seen.size > 0) throw new Error(`bench: enforcement NetworkPolicy wrote AdminNetworkPolicies: ${[...admins.seen.keys()].join(", ")}`);
    return;
  }
  if (status?.mode !== "AdminTier" || status.kind !== "AdminNetworkPolicy" || status.object !== object) {
    throw new Error(`bench: ${name} status.enforcement is ${JSON.stringify(status)}, expected mode AdminTier with AdminNetworkPolicy ${object}`);
  }
  const live = (await getJson(env.kc, `${ANP_PATH}/${object}`)) as AdminObject;
  if (!live.metadata.ownerReferences?.some((r) => r.uid === profile?.metadata.uid)) throw new Error(`bench: AdminNetworkPolicy ${object} is not owned by ${name}`);
}

function countPolicyWrites(writes: Writes): Pick<Phase, "policyWrites" | "npWrites" | "adminWrites"> {
  const of = (resource: string) => writes.byResource[resource] ?? 0;
  const policyWrites = [...POLICY_RESOURCES].reduce((sum, r) => sum + of(r), 0);
  return { policyWrites, npWrites: of("networkpolicies"), adminWrites: of("adminnetworkpolicies") + of("clusternetworkpolicies") };
}

/** netfence never creates a profile: the one create in the window is the bench's, which starts the rollout. */
function withoutBenchCreate(writes: Writes): Writes {
  const own = writes.byKind["create isolationprofiles"] ?? 0;
  if (own === 0) return writes;
  const byKind = Object.fromEntries(Object.entries(writes.byKind).filter(([k]) => k !== "create isolationprofiles"));
  const byResource = { ...writes.byResource, isolationprofiles: (writes.byResource.isolationprofiles ?? 0) - own };
  return { ...writes, total: writes.total - own, byKind, byResource };
}

async function rollout(env: BenchEnv, rig: Rig, admins: TimedWatch<AdminObject>, n: number, selector: Record<string, string>, enforcement: Enforcement): Promise<Phase> {
  const { policies, profiles } = rig;
  const name = `admin-${enforcement === "AdminTier" ? "tier" : "np"}-${String(n)}`;
  const object = policyName(name);
  await sleep(REFILL_MS);
  policies.reset();
  admins.reset();
  progress(`admin: enforcement ${enforcement}: applying IsolationProfile ${name}`);
  const mark = auditMark(env.plane.auditLogPath);
  const from = Date.now();
  const t0 = performance.now();
  const created = await createProfile(env.kc, name, { ...benchSpec(selector), enforcement });
  const generation = created.metadata.generation ?? 1;
  const lastPolicy = await lastAdded(policies, object, n, 900_000, `${name}'s NetworkPolicies`);
  const admin = enforcement === "AdminTier" ? await until(() => admins.seen.get(`/${object}`)?.added, `${name}'s AdminNetworkPolicy`, 300_000) : undefined;
  const ready = await until(() => profiles.ready(name, generation), `${name} Ready at generation ${String(generation)}`, 300_000);
  const convergeMs = Math.max(lastPolicy, admin ?? 0, ready) - t0;
  progress(`admin: enforcement ${enforcement}: converged in ${secs(convergeMs)}s; counting writes for ${String(SETTLE_MS / 1000)}s more`);
  await sleep(SETTLE_MS);
  const to = Date.now();
  await confirm(env, profiles.current(name), enforcement, object, admins);
  const inPlace = (seen: Iterable<{ object: { metadata?: { name?: string } }; deleted?: number }>) => [...seen].filter((s) => s.object.metadata?.name === object && s.deleted === undefined).length;
  const policiesInPlace = inPlace(policies.seen.values());
  const adminInPlace = inPlace(admins.seen.values());
  const firstPolicy = [...policies.seen.values()].reduce((min, s) => (s.object.metadata.name === object && s.added !== undefined ? Math.min(min, s.added) : min), Infinity);
  await sleep(AUDIT_FLUSH_MS);
  const writes = withoutBenchCreate(operatorWrites(env.plane.auditLogPath, from, to, mark));

  progress(`admin: enforcement ${enforcement}: deleting the profile`);
  policies.reset();
  const c0 = performance.now();
  await deleteProfile(env.kc, name);
  await allDeleted(policies, object, n, 120_000 + n * 60, `the operator to delete ${name}'s NetworkPolicies`);
  if (enforcement === "AdminTier") await until(() => admins.seen.get(`/${object}`)?.deleted, `${name}'s AdminNetworkPolicy to be deleted`, 120_000);
  await until(() => (profiles.gone(name) ? true : undefined), `${name} to be gone`, 120_000);
  const cleanupMs = performance.now() - c0;

  return {
    enforcement,
    convergeMs,
    firstPolicyMs: firstPolicy - t0,
    lastPolicyMs: lastPolicy - t0,
    adminMs: admin === undefined ? undefined : admin - t0,
    readyMs: ready - t0,
    cleanupMs,
    policiesInPlace,
    adminInPlace,
    writes,
    ...countPolicyWrites(writes),
    windowMs: to - from,
  };
}

const ratio = (a: number, b: number, digits: number): string => (b === 0 ? "—" : (a / b).toFixed(digits));
const detail = (w: Writes, resources: ReadonlySet<string>): string =>
  Object.entries(w.byKind)
    .filter(([k]) => resources.has(k.split(" ")[1]?.split("/")[0] ?? ""))
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(", ") || "none";

function print(n: number, np: Phase, tier: Phase): void {
  const both = (f: (p: Phase) => string): [string, string] => [f(np), f(tier)];
  const others = new Set(Object.keys({ ...np.writes.byResource, ...tier.writes.byResource }).filter((r) => !POLICY_RESOURCES.has(r)));
  console.log(`\nAdmin tier beside NetworkPolicies, N = ${String(n)} namespaces selected by label, preset deny-all; ${describeLimits(DEFAULT_LIMITS)}`);
  console.log(`AdminTier: the operator runs with ${DATA_PLANE_ARGS.join(" ")}; it writes one AdminNetworkPolicy plus the NetworkPolicies the Admin tier cannot replace (ingress from outside the cluster)\n`);
  table(
    ["", "NetworkPolicy", "AdminTier", "AdminTier / NetworkPolicy"],
    [
      ["write requests on policy objects", ...both((p) => String(p.policyWrites)), ratio(tier.policyWrites, np.policyWrites, 4)],
      ["  on NetworkPolicies", ...both((p) => String(p.npWrites)), ratio(tier.npWrites, np.npWrites, 4)],
      ["  on the Admin-tier object", ...both((p) => String(p.adminWrites)), "—"],
      ["objects in place at convergence", ...both((p) => `${String(p.policiesInPlace)} NP${p.adminInPlace ? ` + ${String(p.adminInPlace)} ANP` : ""}`), ratio(tier.policiesInPlace + tier.adminInPlace, np.policiesInPlace + np.adminInPlace, 4)],
      ["other writes (status, finalizer, events, lease)", ...both((p) => String(p.writes.total - p.policyWrites)), ratio(tier.writes.total - tier.policyWrites, np.writes.total - np.policyWrites, 2)],
      ["failed requests (counted above)", ...both((p) => String(p.writes.failed)), "—"],
      ["converge s (create → all seen, Ready)", ...both((p) => secs(p.convergeMs)), ratio(tier.convergeMs, np.convergeMs, 3)],
      ["  first NetworkPolicy seen s", ...both((p) => secs(p.firstPolicyMs)), ratio(tier.firstPolicyMs, np.firstPolicyMs, 3)],
      ["  last NetworkPolicy seen s", ...both((p) => secs(p.lastPolicyMs)), ratio(tier.lastPolicyMs, np.lastPolicyMs, 3)],
      ["  AdminNetworkPolicy seen s", ...both((p) => (p.adminMs === undefined ? "—" : secs(p.adminMs))), "—"],
      ["  Ready s", ...both((p) => secs(p.readyMs)), ratio(tier.readyMs, np.readyMs, 3)],
      ["cleanup s (delete → all gone)", ...both((p) => secs(p.cleanupMs)), ratio(tier.cleanupMs, np.cleanupMs, 3)],
      ["counting window s (create → converged + 5 s)", ...both((p) => secs(p.windowMs)), "—"],
    ],
  );
  for (const p of [np, tier]) console.log(`${p.enforcement}: ${detail(p.writes, POLICY_RESOURCES)}; other: ${detail(p.writes, others)}`);
  console.log("");
}

export const scenario: Scenario = {
  name: "admin",
  description: "one profile over N namespaces enforced with NetworkPolicies, then in the Admin tier: write requests and time to converge, side by side (options: --namespaces 10000)",
  async run(args) {
    const { values } = parseArgs({ args, options: { namespaces: { type: "string", default: "10000" } } });
    const n = Number(values.namespaces);
    const env = await benchEnv();
    const selector = await env.ensureNamespaces(n);
    const installed = await ensureAnpCrd(env);
    let phases: [Phase, Phase];
    try {
      const admins = await new TimedWatch<AdminObject>(env.kc, ANP_PATH).start();
      try {
        phases = await withRig(
          env,
          DEFAULT_LIMITS,
          async (rig) => {
            await rig.operator.ready();
            const np = await rollout(env, rig, admins, n, selector, "NetworkPolicy");
            const tier = await rollout(env, rig, admins, n, selector, "AdminTier");
            return [np, tier];
          },
          DATA_PLANE_ARGS,
        );
      } finally {
        admins.stop();
      }
    } finally {
      if (installed) await removeAnpCrd(env);
    }
    const [np, tier] = phases;
    print(n, np, tier);
    return {
      [`np_writes_${String(n)}`]: np.policyWrites,
      [`np_converge_${String(n)}_ms`]: Math.round(np.convergeMs),
      [`admin_writes_${String(n)}`]: tier.policyWrites,
      [`admin_converge_${String(n)}_ms`]: Math.round(tier.convergeMs),
      [`admin_writes_ratio_${String(n)}`]: round(tier.policyWrites / np.policyWrites, 4),
      [`admin_converge_ratio_${String(n)}`]: round(tier.convergeMs / np.convergeMs, 3),
    };
  },
};
