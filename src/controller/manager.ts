/**
 * The profile controller as one unit, the way controller-runtime's manager
 * reads: it maps cache events to profile names (mappers), feeds them to the
 * work queue, re-enqueues every profile each resync period, and runs the
 * reconcile for each name. Its caches are ports (a read view plus event
 * subscription), so a unit test drives it with fake informers.
 */
import type { Logger } from "pino";
import type { IsolationProfile } from "../api/types.js";
import type { Namespace, NetworkPolicy, Pod } from "../k8s/objects.js";
import { namespaceKeys, podKeys, policyKeys, profileKeys, ProfileIndex } from "./mappers.js";
import type { ReadCache } from "./ports.js";
import { WorkQueue, type HandlerResult, type Outcome, type QueueMetrics } from "./queue.js";

/** A cache that also tells what changed (an informer). */
export interface EventSource<T> extends ReadCache<T> {
  on(event: "add" | "update" | "delete", handler: (obj: T, old?: T) => void): void;
}

export interface ControllerCaches {
  profiles: EventSource<IsolationProfile>;
  namespaces: EventSource<Namespace>;
  pods: EventSource<Pod>;
  policies: EventSource<NetworkPolicy>;
  /** The Admin-tier kinds the API serves (ClusterNetworkPolicy, AdminNetworkPolicy): a change can bypass any profile. */
  tiers?: readonly EventSource<object>[];
}

export interface ControllerOptions {
  /**
   * One pass of one profile. `rejudge`: only NetworkPolicies the profile does
   * not own changed since the last pass, in these namespaces; absent: anything
   * may have changed (a full pass).
   */
  reconcile: (name: string, rejudge?: ReadonlySet<string>) => Promise<HandlerResult>;
  log: Logger;
  concurrency: number;
  /** Handler runs per second and burst of the queue (at least 10 each). */
  qps: number;
  burst: number;
  resyncSeconds: number;
  /** Pod changes only move pod counts: batched into one pass per profile per this period. */
  podBatchSeconds: number;
  /** netfence's own namespace, never selected unless includeSystem. */
  operatorNamespace: string;
  /** After every reconcile (metrics). */
  onProcessed?: (name: string, seconds: number, outcome: Outcome) => void;
  /** A namespace seen after the caches synced, and one gone (isolation latency). */
  onNamespaceSeen?: (name: string) => void;
  onNamespaceGone?: (name: string) => void;
  /** A profile deleted: per-profile state elsewhere (memos, metric series) can go. */
  onProfileDeleted?: (profile: IsolationProfile) => void;
  /** Whether the caches have synced (namespaces seen before are not "new"). */
  synced?: () => boolean;
}

const FULL = "full";

export class ProfileController {
  private readonly queue: WorkQueue;
  /** Per queued profile: the namespaces to judge again, or FULL. Taken when its pass starts. */
  private readonly scopes = new Map<string, Set<string> | typeof FULL>();
  private resync: NodeJS.Timeout | undefined;
  private started = false;

  constructor(private readonly caches: ControllerCaches, private readonly options: ControllerOptions) {
    this.queue = new WorkQueue({
      concurrency: options.concurrency,
      qps: Math.max(options.qps, 10),
      burst: Math.max(options.burst, 10),
      logger: options.log,
      handler: (name) => this.run(name),
      ...(options.onProcessed ? { onProcessed: options.onProcessed } : {}),
    });
    this.wire(new ProfileIndex(caches.profiles, options.operatorNamespace));
  }

  /**
   * One pass of `name`, with what was asked of it since the last pass began.
   * Every way a key enters the queue records a scope first (events, resync,
   * pod batches here; retries and requeues below), so a key without one was
   * queued again by events that arrived before the last pass began, and that
   * pass has seen them already: nothing to do.
   */
  private async run(name: string): Promise<HandlerResult> {
    const scope = this.scopes.get(name);
    if (scope === undefined) return {};
    this.scopes.delete(name);
    try {
      const result = await this.options.reconcile(name, scope instanceof Set ? scope : undefined);
      if (result.retry || result.requeueAfterMs !== undefined) this.scopes.set(name, FULL);
      return result;
    } catch (err) {
      this.scopes.set(name, FULL);
      throw err;
    }
  }

  /** Queues full passes. */
  private enqueue(keys: readonly string[]): void {
    for (const key of keys) {
      this.scopes.set(key, FULL);
      this.queue.add(key);
    }
  }

  /** Queues passes that judge `namespace` again (unless a full pass is queued already). */
  private enqueueRejudge(keys: readonly string[], namespace: string): void {
    for (const key of keys) {
      const scope = this.scopes.get(key);
      if (scope === undefined) this.scopes.set(key, new Set([namespace]));
      else if (scope !== FULL) scope.add(namespace);
      this.queue.add(key);
    }
  }

  private policyChanged(policy: NetworkPolicy, keys: { owners: string[]; rejudge: string[] }): void {
    this.enqueue(keys.owners);
    this.enqueueRejudge(keys.rejudge, policy.metadata.namespace ?? "");
  }

  /** Handlers only compute keys and enqueue; the informer guards them with try/catch. */
  private wire(index: ProfileIndex): void {
    const { profiles, namespaces, pods, policies } = this.caches;
    const o = this.options;
    // Rare and cluster-wide: every profile judges its namespaces again.
    const everyProfile = () => this.enqueue(profiles.list().map((p) => p.metadata.name));
    // In the Admin tier, which of two profiles selecting one namespace decides depends on both (admin-precedence.ts).
    const adminTier = (this.caches.tiers ?? []).length > 0;
    const profileChanged = (keys: string[]) => {
      this.enqueue(keys);
      if (adminTier && keys.length) everyProfile();
    };
    profiles.on("add", (p) => profileChanged([p.metadata.name]));
    // netfence's own status writes come back as updates: only a change of what it reads re-enqueues.
    profiles.on("update", (p, old) => profileChanged(profileKeys(p, old)));
    profiles.on("delete", (p) => {
      index.forget(p.metadata.name);
      o.onProfileDeleted?.(p);
      profileChanged([p.metadata.name]);
    });
    namespaces.on("add", (ns) => {
      if (o.synced?.() ?? true) o.onNamespaceSeen?.(ns.metadata.name);
      this.enqueue(namespaceKeys(index, ns));
    });
    namespaces.on("update", (ns, old) => this.enqueue(namespaceKeys(index, ns, old)));
    namespaces.on("delete", (ns) => {
      o.onNamespaceGone?.(ns.metadata.name);
      this.enqueue(namespaceKeys(index, ns));
    });
    const podChange = (keys: readonly string[]) => {
      for (const key of keys) {
        this.scopes.set(key, FULL);
        this.queue.addAfter(key, o.podBatchSeconds * 1000);
      }
    };
    pods.on("add", (pod) => podChange(podKeys(index, namespaces, pod)));
    pods.on("update", (pod, old) => podChange(podKeys(index, namespaces, pod, old)));
    pods.on("delete", (pod) => podChange(podKeys(index, namespaces, pod)));
    policies.on("add", (p) => this.policyChanged(p, policyKeys(index, namespaces, p)));
    policies.on("update", (p, old) => this.policyChanged(p, policyKeys(index, namespaces, p, old)));
    policies.on("delete", (p) => this.policyChanged(p, policyKeys(index, namespaces, p)));
    for (const tier of this.caches.tiers ?? []) for (const event of ["add", "update", "delete"] as const) tier.on(event, everyProfile);
  }

  /** Starts working (after the caches synced, and when leading): every profile once, then each resync period. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const all = () => this.enqueue(this.caches.profiles.list().map((p) => p.metadata.name));
    // Queued before the workers start, so a profile an event queued already runs once.
    all();
    this.queue.start();
    this.resync = setInterval(all, this.options.resyncSeconds * 1000);
  }

  /** Stops taking work and waits for what is in flight, at most `drainMs`. */
  async stop(drainMs: number): Promise<void> {
    if (this.resync) clearInterval(this.resync);
    await this.queue.shutdown({ drain: true, timeoutMs: drainMs });
  }

  /** The work queue's gauges and running totals (metrics). */
  queueMetrics(): QueueMetrics {
    return this.queue.metrics();
  }
}
