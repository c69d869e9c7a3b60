/**
 * Composition root of `netfence run`: config → logger → clients → caches →
 * controller → servers; SIGTERM drains in-flight work and releases the lease.
 */
import { hostname } from "node:os";
import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import type { KubeConfig } from "@kubernetes/client-node";
import { DEFAULT_DNS_NAMESPACE, DEFAULT_OPERATOR_NAMESPACE, GROUP, LABEL_MANAGED_BY, MANAGED_BY_VALUE, PLURAL, VERSION } from "./api/constants.js";
import type { IsolationProfile } from "./api/types.js";
import { namespaceKeys, podKeys, policyKeys, profileKeys, ProfileIndex } from "./controller/mappers.js";
import { WorkQueue } from "./controller/queue.js";
import { DriftContest } from "./controller/contest.js";
import { InPlaceLedger } from "./controller/in-place.js";
import { VerdictMemo } from "./controller/verdicts.js";
import { PassMemo } from "./controller/memo.js";
import { TokenBucket } from "./lib/ratelimit.js";
import { reconcileProfile, type ReconcileDeps } from "./controller/reconcile.js";
import { createInformer, keepIdentityAndLabels, shareParts, type Informer, type ObjectWithMeta } from "./io/informer.js";
import { loadKubeConfig } from "./io/kubeconfig.js";
import type { LeaderElector } from "./io/leader.js";
import { KeepAliveJson } from "./io/client.js";
import { KubeEventRecorder, KubePolicyWriter, KubeProfileWriter } from "./io/writer.js";
import { serve, probeRoute } from "./observability/http.js";
import { createLogger, type Logger, type LogLevel } from "./observability/logger.js";
import { Metrics } from "./observability/metrics.js";
import { JsonInterner } from "./io/intern.js";
import type { LabelSelector, Namespace, NetworkPolicy, Pod } from "./k8s/objects.js";

export interface RunConfig {
  kubeconfig?: string;
  namespace?: string;
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
}

const SERVICE_ACCOUNT_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

export function operatorNamespace(explicit: string | undefined): string {
  if (explicit) return explicit;
  if (process.env.POD_NAMESPACE) return process.env.POD_NAMESPACE;
  try {
    return readFileSync(SERVICE_ACCOUNT_NAMESPACE, "utf8").trim();
  } catch {
    return DEFAULT_OPERATOR_NAMESPACE;
  }
}

export const defaultRunConfig: RunConfig = {
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
};

interface Caches {
  profiles: Informer<IsolationProfile>;
  namespaces: Informer<Namespace>;
  pods: Informer<Pod>;
  policies: Informer<NetworkPolicy>;
}

function createCaches(kc: KubeConfig, log: Logger, profileSelector: string | undefined): Caches {
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
  };
}

/** Runs the operator until SIGTERM/SIGINT; resolves with the exit code. */
export async function run(config: RunConfig): Promise<number> {
  const log = createLogger({ level: config.logLevel });
  const kc = loadKubeConfig({ kubeconfig: config.kubeconfig });
  const ownNamespace = operatorNamespace(config.namespace);
  const identity = `${hostname()}_${String(process.pid)}`;
  const metrics = new Metrics();
  const limiter = new TokenBucket({ qps: config.qps, burst: config.burst });
  const caches = createCaches(kc, log, config.profileSelector);
  const index = new ProfileIndex(caches.profiles, ownNamespace);
  const inPlace = new InPlaceLedger();
  const verdicts = new VerdictMemo();
  const memo = new PassMemo();
  // One kept-alive connection pool for every write (a TLS handshake per write capped the rate below --qps).
  const transport = new KeepAliveJson(kc, Math.max(config.writeConcurrency * config.concurrency, 16));

  const deps: ReconcileDeps = {
    profiles: caches.profiles,
    namespaces: caches.namespaces,
    pods: caches.pods,
    policies: caches.policies,
    writer: new KubePolicyWriter(transport, limiter),
    profileWriter: new KubeProfileWriter(transport, limiter),
    events: new KubeEventRecorder(kc, identity, log),
    metrics,
    inPlace,
    verdicts,
    contest: new DriftContest(),
    memo,
    render: { operatorNamespace: ownNamespace, dns: { namespace: config.dnsNamespace, podSelector: config.dnsPodSelector } },
    writeConcurrency: config.writeConcurrency,
    now: () => new Date(),
    log,
  };

  const queue = new WorkQueue({
    concurrency: config.concurrency,
    qps: Math.max(config.qps, 10),
    burst: Math.max(config.burst, 10),
    logger: log,
    handler: (name: string) => reconcileProfile(name, deps),
    // The queue times each run and logs a throwing one; this only counts.
    onProcessed: (_name, seconds, outcome) => {
      metrics.reconcileDuration.observe(seconds);
      metrics.reconciles.inc({ result: outcome });
    },
  });
  const enqueue = (keys: string[]) => {
    for (const key of keys) queue.add(key);
  };

  // Handlers only compute keys and enqueue; the informer guards them with try/catch.
  caches.profiles.on("add", (p) => enqueue([p.metadata.name]));
  // netfence's own status writes come back as updates: only a change of what it reads re-enqueues.
  caches.profiles.on("update", (p, old) => enqueue(profileKeys(p, old)));
  caches.profiles.on("delete", (p) => {
    index.forget(p.metadata.name);
    memo.forget(p.metadata.name);
    inPlace.forget(p.metadata.uid ?? "");
    verdicts.forget(p.metadata.name);
    metrics.forgetProfile(p.metadata.name);
    enqueue([p.metadata.name]);
  });
  caches.namespaces.on("add", (ns) => {
    if (caches.namespaces.synced()) metrics.namespaceSeen(ns.metadata.name);
    enqueue(namespaceKeys(index, ns));
  });
  caches.namespaces.on("update", (ns, old) => enqueue(namespaceKeys(index, ns, old)));
  caches.namespaces.on("delete", (ns) => {
    metrics.namespaceGone(ns.metadata.name);
    enqueue(namespaceKeys(index, ns));
  });
  const enqueuePodChange = (keys: string[]) => {
    for (const key of keys) queue.addAfter(key, config.podBatchSeconds * 1000);
  };
  caches.pods.on("add", (pod) => enqueuePodChange(podKeys(index, caches.namespaces, pod)));
  caches.pods.on("update", (pod, old) => enqueuePodChange(podKeys(index, caches.namespaces, pod, old)));
  caches.pods.on("delete", (pod) => enqueuePodChange(podKeys(index, caches.namespaces, pod)));
  caches.policies.on("add", (p) => enqueue(policyKeys(index, caches.namespaces, p)));
  caches.policies.on("update", (p, old) => enqueue(policyKeys(index, caches.namespaces, p, old)));
  caches.policies.on("delete", (p) => enqueue(policyKeys(index, caches.namespaces, p)));

  const named: [string, Informer<ObjectWithMeta>][] = [
    ["isolationprofiles", caches.profiles],
    ["namespaces", caches.namespaces],
    ["pods", caches.pods],
    ["networkpolicies", caches.policies],
  ];
  const all = named.map(([, informer]) => informer);
  const synced = () => all.every((i) => i.synced());
  let leading = !config.leaderElect;
  const servers: (Server | undefined)[] = [];
  servers.push(
    await serve(config.healthAddr, {
      "/healthz": probeRoute(() => ({ ok: true, detail: "ok" })),
      "/readyz": probeRoute(() => ({ ok: synced(), detail: synced() ? "caches synced" : "waiting for caches to sync" })),
    }),
  );
  servers.push(
    await serve(config.metricsAddr, {
      "/metrics": async () => {
        metrics.queueDepth.set(queue.len());
        metrics.managedPolicies.set(caches.policies.list().filter((p) => p.metadata.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_VALUE).length);
        for (const [name, informer] of named) metrics.informerRestarts.set({ informer: name }, informer.restarts);
        metrics.isLeader.set(leading ? 1 : 0);
        return { status: 200, contentType: metrics.registry.contentType, body: await metrics.registry.metrics() };
      },
    }),
  );

  log.info({ namespace: ownNamespace, identity, leaderElect: config.leaderElect, concurrency: config.concurrency, qps: config.qps, burst: config.burst }, "Starting netfence");
  await Promise.all(all.map((i) => i.start()));
  while (!synced()) {
    if (await Promise.all(all.map((i) => i.waitForSync(30_000))).then((r) => r.every(Boolean))) break;
    log.warn({ unsynced: named.filter(([, i]) => !i.synced()).map(([n]) => n) }, "Caches not synced yet");
  }
  log.info("Caches synced");

  let stopping = false;
  let exitCode = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((r) => (finish = r));

  const startWork = () => {
    leading = true;
    // No pruning before every cache has synced: the queue starts only now.
    queue.start();
    enqueue(caches.profiles.list().map((p) => p.metadata.name));
  };
  let elector: LeaderElector | undefined;
  if (config.leaderElect) {
    // Loaded only when asked for: a single-replica install never touches Leases.
    const { LeaderElector: Elector } = await import("./io/leader.js");
    elector = new Elector(kc, {
      namespace: ownNamespace,
      name: config.leaseName,
      identity,
      logger: log,
      onStartedLeading: startWork,
      onStoppedLeading: () => {
        if (stopping) return;
        log.error("Lost leadership; exiting so a fresh process can rejoin the election");
        exitCode = 1;
        finish();
      },
    });
    void elector.run();
  } else {
    startWork();
  }
  const resync = setInterval(() => {
    if (leading) enqueue(caches.profiles.list().map((p) => p.metadata.name));
  }, config.resyncSeconds * 1000);

  const onSignal = (signal: string) => {
    log.info({ signal }, "Shutting down");
    finish();
  };
  process.once("SIGTERM", () => onSignal("SIGTERM"));
  process.once("SIGINT", () => onSignal("SIGINT"));
  await finished;
  stopping = true;
  clearInterval(resync);
  // Bounded: a stuck write must not keep a terminating pod past its grace period.
  await queue.shutdown({ drain: true, timeoutMs: 20_000 });
  if (elector) await elector.release();
  await Promise.all(all.map((i) => i.stop()));
  transport.close();
  await Promise.all(servers.map((s) => new Promise<void>((r) => (s ? s.close(() => r()) : r()))));
  log.info("Stopped");
  return exitCode;
}
