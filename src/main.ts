/**
 * Composition root of `netfence run`: config → logger → clients → caches →
 * controller → servers; SIGTERM drains in-flight work and releases the lease.
 */
import { hostname } from "node:os";
import type { Server } from "node:http";
import type { KubeConfig } from "@kubernetes/client-node";
import { DEFAULT_DNS_NAMESPACE, GROUP, LABEL_MANAGED_BY, MANAGED_BY_VALUE, PLURAL, VERSION } from "./api/constants.js";
import type { IsolationProfile } from "./api/types.js";
import { ProfileController } from "./controller/manager.js";
import { DriftContest } from "./controller/contest.js";
import { InPlaceLedger } from "./controller/in-place.js";
import { VerdictMemo } from "./controller/verdicts.js";
import { PassMemo } from "./controller/memo.js";
import { TokenBucket } from "./lib/ratelimit.js";
import { reconcileProfile, type ReconcileDeps } from "./controller/reconcile.js";
import { forgetProfile } from "./controller/deps.js";
import { createInformer, keepIdentityAndLabels, shareParts, type Informer, type ObjectWithMeta } from "./io/informer.js";
import { loadKubeConfig } from "./io/kubeconfig.js";
import type { LeaderElector } from "./io/leader.js";
import type { QueueMetrics } from "./controller/queue.js";
import { getJson, KeepAliveJson } from "./io/client.js";
import { servedTierKinds, type ServedTierKind } from "./io/cluster-snapshot.js";
import { classify } from "./io/errors.js";
import { adminTierView } from "./controller/admin-tier.js";
import { dataPlane, type DeclaredDataPlane } from "./io/data-plane.js";
import { ADMIN_KINDS, type AdminKind } from "./policy/admin-render.js";
import { TenantReachMemo } from "./policy/admin-envelope.js";
import type { DataPlane } from "./policy/enforcement.js";
import { KubeAdminTierWriter, KubeEventRecorder, KubePolicyWriter, KubeProfileWriter } from "./io/writer.js";
import { serve, probeRoute } from "./observability/http.js";
import { createLogger, type Logger, type LogLevel } from "./observability/logger.js";
import { Metrics } from "./observability/metrics.js";
import { JsonInterner } from "./io/intern.js";
import type { LabelSelector, Namespace, NetworkPolicy, Pod } from "./k8s/objects.js";

export interface RunConfig {
  kubeconfig?: string;
  /** netfence's own namespace (the Lease; never isolated), resolved by the config step. */
  namespace: string;
  /** Only reconcile IsolationProfiles with these labels (label selector syntax); all when empty. */
  profileSelector?: string;
  leaderElect: boolean;
  leaseName: string;
  metricsAddr: string;
  healthAddr: string;
  concurrency: number;
  qps: number;
  burst: number;
  logLevel: LogLevel;
  dnsNamespace: string;
  dnsPodSelector: LabelSelector;
  resyncSeconds: number;
  /**
   * Pod changes only move status.isolatedPods (policies select pods by label,
   * they never list them): they are batched into one pass per profile per
   * this period. Without it, pods churning in a 10,000-namespace cluster kept
   * one full pass running back to back.
   */
  podBatchSeconds: number;
  /** Parallel writes within one reconcile. */
  writeConcurrency: number;
  /**
   * Entries in status.namespaces (problems first, at most LIMITS.statusNamespaces).
   * Every status write costs the API server in proportion to it.
   */
  statusNamespaces: number;
  /** The data plane as the chart declares it (--data-plane, --data-plane-enforces); undefined enforces: detect. */
  dataPlane: DeclaredDataPlane;
}

export const defaultRunConfig: Omit<RunConfig, "namespace"> = {
  leaderElect: false,
  leaseName: "netfence-leader",
  metricsAddr: ":8080",
  healthAddr: ":8081",
  concurrency: 4,
  qps: 50,
  burst: 100,
  logLevel: "info",
  dnsNamespace: DEFAULT_DNS_NAMESPACE,
  dnsPodSelector: { matchLabels: { "k8s-app": "kube-dns" } },
  resyncSeconds: 600,
  podBatchSeconds: 1,
  writeConcurrency: 32,
  statusNamespaces: 20,
  dataPlane: {},
};

interface Caches {
  profiles: Informer<IsolationProfile>;
  namespaces: Informer<Namespace>;
  pods: Informer<Pod>;
  policies: Informer<NetworkPolicy>;
  [tier: `tier:${string}`]: Informer<ObjectWithMeta>;
}

/** The Admin-tier kinds the verdict reads (BaselineAdminNetworkPolicy never decides for a pod a NetworkPolicy selects). */
const ADMIN_TIER_KINDS = new Set(["ClusterNetworkPolicy", "AdminNetworkPolicy"]);

/**
 * The Admin-tier kinds the API serves and this operator may list, by discovery
 * at start-up. A kind it may not list (an older chart's RBAC) is left out with
 * a warning: the status then says which kinds the verdict read.
 */
async function adminTierKinds(kc: KubeConfig, log: Logger): Promise<ServedTierKind[]> {
  let served: ServedTierKind[];
  try {
    served = (await servedTierKinds(kc)).filter((t) => ADMIN_TIER_KINDS.has(t.kind));
  } catch (err) {
    log.warn({ err: classify(err).message }, "API discovery of the Admin tier failed: reading NetworkPolicies only");
    return [];
  }
  const readable = await Promise.all(
    served.map(async (t) => {
      try {
        await getJson(kc, t.path, { query: { limit: "1" } });
        return true;
      } catch (err) {
        log.warn({ kind: t.kind, err: classify(err).message }, "Cannot list an Admin-tier kind the API serves: the verdict does not read it");
        return false;
      }
    }),
  );
  return served.filter((_, i) => readable[i]);
}

function tierInformers(kc: KubeConfig, log: Logger, kinds: readonly ServedTierKind[]): Record<`tier:${string}`, Informer<ObjectWithMeta>> {
  return Object.fromEntries(kinds.map((t) => [`tier:${t.kind}`, createInformer<ObjectWithMeta>(kc, { name: t.path.split("/").pop() ?? t.kind, path: t.path, logger: log })]));
}

function createCaches(kc: KubeConfig, log: Logger, profileSelector: string | undefined, tiers: readonly ServedTierKind[]): Caches {
  // netfence's own policies are copies of a few specs; pods of one ReplicaSet have equal labels.
  const policyParts = shareParts<NetworkPolicy>(new JsonInterner(), ["spec", "labels", "annotations", "ownerReferences"]);
  const podLabels = shareParts<Pod>(new JsonInterner(), ["labels"]);
  return {
    profiles: createInformer<IsolationProfile>(kc, {
      name: "isolationprofiles",
      path: `/apis/${GROUP}/${VERSION}/${PLURAL}`,
      ...(profileSelector ? { labelSelector: profileSelector } : {}),
      logger: log,
    }),
    namespaces: createInformer<Namespace>(kc, { name: "namespaces", path: "/api/v1/namespaces", metadataOnly: true, transform: keepIdentityAndLabels, logger: log }),
    pods: createInformer<Pod>(kc, { name: "pods", path: "/api/v1/pods", metadataOnly: true, transform: (pod) => podLabels(keepIdentityAndLabels(pod)), logger: log }),
    // Every policy, not only netfence's: a tenant's policy can bypass a profile (status says which).
    policies: createInformer<NetworkPolicy>(kc, {
      name: "networkpolicies",
      path: "/apis/networking.k8s.io/v1/networkpolicies",
      transform: policyParts,
      logger: log,
    }),
    ...tierInformers(kc, log, tiers),
  };
}

const isAdminKind = (kind: string): kind is AdminKind => (ADMIN_KINDS as readonly string[]).includes(kind);

/** The served kinds netfence can write a profile as (ADMIN_KINDS), from what it watches. */
function adminKinds(tiers: readonly ServedTierKind[]): AdminKind[] {
  return tiers.flatMap((t) => {
    const kind = `${t.kind}/${t.apiVersion.split("/")[1] ?? ""}`;
    return isAdminKind(kind) ? [kind] : [];
  });
}

/** The reconcile's dependencies on the caches and one kept-alive write transport. */
function reconcileDeps(config: RunConfig, caches: Caches, tiers: readonly ServedTierKind[], plane: DataPlane, transport: KeepAliveJson, metrics: Metrics, log: Logger, identity: string): ReconcileDeps {
  const limiter = new TokenBucket({ qps: config.qps, burst: config.burst });
  const tierCaches = tiers.flatMap((t) => {
    const cache = caches[`tier:${t.kind}`];
    return cache ? [{ kind: t.kind, apiVersion: t.apiVersion, cache }] : [];
  });
  return {
    profiles: caches.profiles,
    namespaces: caches.namespaces,
    pods: caches.pods,
    policies: caches.policies,
    tiers: adminTierView(tierCaches),
    enforcement: { served: adminKinds(tiers), plane, writer: new KubeAdminTierWriter(transport, limiter), reach: new TenantReachMemo() },
    writer: new KubePolicyWriter(transport, limiter),
    profileWriter: new KubeProfileWriter(transport, limiter),
    events: new KubeEventRecorder(transport, identity, log),
    metrics,
    inPlace: new InPlaceLedger(),
    verdicts: new VerdictMemo(),
    contest: new DriftContest(),
    memo: new PassMemo(),
    render: { operatorNamespace: config.namespace, dns: { namespace: config.dnsNamespace, podSelector: config.dnsPodSelector } },
    writeConcurrency: config.writeConcurrency,
    statusNamespaces: config.statusNamespaces,
    now: () => new Date(),
    log,
  };
}

/** /healthz, /readyz (every cache synced) and /metrics. */
async function startServers(config: RunConfig, caches: Caches, metrics: Metrics, state: { leading: () => boolean; queue: () => QueueMetrics }): Promise<(Server | undefined)[]> {
  const named = Object.entries(caches) as [string, Informer<ObjectWithMeta>][];
  const synced = () => named.every(([, i]) => i.synced());
  return [
    await serve(config.healthAddr, {
      "/healthz": probeRoute(() => ({ ok: true, detail: "ok" })),
      "/readyz": probeRoute(() => ({ ok: synced(), detail: synced() ? "caches synced" : "waiting for caches to sync" })),
    }),
    await serve(config.metricsAddr, {
      "/metrics": async () => {
        metrics.workQueue(state.queue());
        metrics.managedPolicies.set(caches.policies.list().filter((p) => p.metadata.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_VALUE).length);
        for (const [name, informer] of named) metrics.informerRestarts.set({ informer: name }, informer.restarts);
        metrics.isLeader.set(state.leading() ? 1 : 0);
        return { status: 200, contentType: metrics.registry.contentType, body: await metrics.registry.metrics() };
      },
    }),
  ];
}

/** Starts every informer and waits until each has listed once (nothing is reconciled, so nothing pruned, before). */
async function syncCaches(caches: Caches, log: Logger): Promise<void> {
  const named = Object.entries(caches) as [string, Informer<ObjectWithMeta>][];
  await Promise.all(named.map(([, i]) => i.start()));
  while (!(await Promise.all(named.map(([, i]) => i.waitForSync(30_000)))).every(Boolean)) {
    log.warn({ unsynced: named.filter(([, i]) => !i.synced()).map(([n]) => n) }, "Caches not synced yet");
  }
  log.info("Caches synced");
}

interface Stopping {
  /** Resolves with the exit code. */
  done: Promise<number>;
  stop: (code: number) => void;
  /** True once a signal came or `stop` was called. */
  stopping: () => boolean;
}

/** The one place signals are handled: SIGTERM or SIGINT stops with 0; `stop` (lost leadership) with its code. */
function untilStopped(log: Logger): Stopping {
  let stopping = false;
  let resolve: (code: number) => void = () => undefined;
  const done = new Promise<number>((r) => (resolve = r));
  const stop = (code: number) => {
    stopping = true;
    resolve(code);
  };
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      log.info({ signal }, "Shutting down");
      stop(0);
    });
  }
  return { done, stop, stopping: () => stopping };
}

/** Runs the operator until SIGTERM/SIGINT; resolves with the exit code. */
export async function run(config: RunConfig): Promise<number> {
  const log = createLogger({ level: config.logLevel });
  const kc = loadKubeConfig({ kubeconfig: config.kubeconfig });
  const identity = `${hostname()}_${String(process.pid)}`;
  const metrics = new Metrics();
  const tiers = await adminTierKinds(kc, log);
  const plane = await dataPlane(kc, config.dataPlane);
  const caches = createCaches(kc, log, config.profileSelector, tiers);
  // One kept-alive connection pool for every write (a TLS handshake per write capped the rate below --qps).
  const transport = new KeepAliveJson(kc, Math.max(config.writeConcurrency * config.concurrency, 16));
  const deps = reconcileDeps(config, caches, tiers, plane, transport, metrics, log, identity);
  const controller = new ProfileController({ ...caches, tiers: tiers.flatMap((t) => caches[`tier:${t.kind}`] ?? []) }, {
    ...config,
    reconcile: (name, rejudge) => reconcileProfile(name, deps, rejudge),
    log,
    operatorNamespace: config.namespace,
    onProcessed: (_name, seconds, outcome) => metrics.reconcileProcessed(seconds, outcome),
    onNamespaceSeen: (ns) => metrics.namespaceSeen(ns),
    onNamespaceGone: (ns) => metrics.namespaceGone(ns),
    onProfileDeleted: (p) => {
      forgetProfile(deps, p);
      metrics.forgetProfile(p.metadata.name);
    },
    synced: () => caches.namespaces.synced(),
  });
  let leading = !config.leaderElect;
  const servers = await startServers(config, caches, metrics, { leading: () => leading, queue: () => controller.queueMetrics() });

  log.info({ namespace: config.namespace, identity, adminTier: tiers.map((t) => t.apiVersion + "/" + t.kind), dataPlane: { name: plane.name, enforces: plane.enforces, evidence: plane.evidence }, leaderElect: config.leaderElect, concurrency: config.concurrency, qps: config.qps, burst: config.burst }, "Starting netfence");
  await syncCaches(caches, log);
  const stopped = untilStopped(log);
  const lead = () => {
    leading = true;
    controller.start();
  };
  // Loaded only when asked for: a single-replica install never touches Leases.
  const elector = config.leaderElect ? await electLeader(kc, config, identity, log, lead, stopped) : (lead(), undefined);

  const exitCode = await stopped.done;
  // Bounded: a stuck write must not keep a terminating pod past its grace period.
  await controller.stop(20_000);
  await elector?.release();
  await Promise.all(Object.values(caches).map((i: Informer<ObjectWithMeta>) => i.stop()));
  transport.close();
  await Promise.all(servers.map((s) => new Promise<void>((r) => (s ? s.close(() => r()) : r()))));
  log.info("Stopped");
  return exitCode;
}

/** Joins the election on the Lease; when leadership is lost, not on the way out, stops with 1 so a fresh process rejoins. */
async function electLeader(kc: KubeConfig, config: RunConfig, identity: string, log: Logger, onLead: () => void, stopped: Stopping): Promise<LeaderElector> {
  const { LeaderElector: Elector } = await import("./io/leader.js");
  const elector = new Elector(kc, {
    namespace: config.namespace,
    name: config.leaseName,
    identity,
    logger: log,
    onStartedLeading: onLead,
    onStoppedLeading: () => {
      if (stopped.stopping()) return;
      log.error("Lost leadership; exiting so a fresh process can rejoin the election");
      stopped.stop(1);
    },
  });
  void elector.run();
  return elector;
}
