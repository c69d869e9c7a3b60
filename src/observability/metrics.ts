/**
 * Prometheus metrics (prom-client), served on --metrics-addr at /metrics.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { NAMESPACE_STATES } from "../api/constants.js";
import type { NamespaceState, NamespaceStatus } from "../api/types.js";
import type { ReconcileMetrics } from "../controller/ports.js";
import type { QueueMetrics } from "../controller/queue.js";

export class Metrics implements ReconcileMetrics {
  readonly registry = new Registry();
  readonly reconciles = new Counter({ name: "netfence_reconcile_total", help: "Reconciles by result (success, error, retry).", labelNames: ["result"] as const, registers: [this.registry] });
  readonly reconcileDuration = new Histogram({
    name: "netfence_reconcile_duration_seconds",
    help: "Duration of one reconcile of one IsolationProfile.",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({ name: "netfence_workqueue_depth", help: "Profiles waiting in the work queue, ready to run.", registers: [this.registry] });
  readonly queueDelayed = new Gauge({ name: "netfence_workqueue_delayed", help: "Profiles waiting for a retry backoff or a requeue delay to pass.", registers: [this.registry] });
  readonly queueInFlight = new Gauge({ name: "netfence_workqueue_in_flight", help: "Profiles being reconciled now.", registers: [this.registry] });
  readonly queueAdds = new Counter({ name: "netfence_workqueue_adds_total", help: "Profiles added to the work queue (events, resync, requeues; a profile already waiting counts again).", registers: [this.registry] });
  readonly queueRetries = new Counter({ name: "netfence_workqueue_retries_total", help: "Profiles queued again with backoff after a failed reconcile.", registers: [this.registry] });
  readonly managedPolicies = new Gauge({ name: "netfence_managed_policies", help: "NetworkPolicies labelled as managed by netfence (informer cache).", registers: [this.registry] });
  readonly driftHeals = new Counter({ name: "netfence_drift_heals_total", help: "Managed NetworkPolicies restored after an edit or delete outside netfence.", registers: [this.registry] });
  readonly informerRestarts = new Gauge({ name: "netfence_informer_restarts", help: "Watch restarts per informer since start.", labelNames: ["informer"] as const, registers: [this.registry] });
  readonly isolationLatency = new Histogram({
    name: "netfence_namespace_isolation_seconds",
    help: "Time from a namespace first being seen to its NetworkPolicy being applied.",
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly namespaces = new Gauge({
    name: "netfence_namespaces",
    help: "Selected namespaces of each IsolationProfile by state (Isolated, Bypassed, Contested, Pending, Failed, Conflict, DryRun).",
    labelNames: ["profile", "state"] as const,
    registers: [this.registry],
  });
  readonly isLeader = new Gauge({ name: "netfence_leader", help: "1 while this instance holds the leader lease.", registers: [this.registry] });

  /** When each namespace was first seen, until its policy is applied. */
  private readonly firstSeen = new Map<string, number>();
  /** The queue's own running totals when last read: the counters move by the difference. */
  private queueTotals = { adds: 0, retries: 0 };

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "netfence_" });
  }

  namespaceSeen(namespace: string): void {
    if (!this.firstSeen.has(namespace)) this.firstSeen.set(namespace, Date.now());
  }

  namespaceGone(namespace: string): void {
    this.firstSeen.delete(namespace);
  }

  namespaceIsolated(namespace: string): void {
    const seen = this.firstSeen.get(namespace);
    if (seen === undefined) return;
    this.firstSeen.delete(namespace);
    this.isolationLatency.observe((Date.now() - seen) / 1000);
  }

  /** One reconcile finished: its duration and outcome (success, requeue, retry, error). */
  reconcileProcessed(seconds: number, outcome: string): void {
    this.reconcileDuration.observe(seconds);
    this.reconciles.inc({ result: outcome });
  }

  driftHealed(count: number): void {
    this.driftHeals.inc(count);
  }

  namespaceStates(profile: string, entries: Iterable<NamespaceStatus>): void {
    const counts = new Map<NamespaceState, number>(NAMESPACE_STATES.map((s) => [s, 0]));
    for (const e of entries) counts.set(e.state, (counts.get(e.state) ?? 0) + 1);
    for (const [state, n] of counts) this.namespaces.set({ profile, state }, n);
  }

  /** The work queue as it is now (read on each scrape): its gauges, and its counters moved to the queue's totals. */
  workQueue(now: Pick<QueueMetrics, "depth" | "delayed" | "inFlight" | "adds" | "retries">): void {
    this.queueDepth.set(now.depth);
    this.queueDelayed.set(now.delayed);
    this.queueInFlight.set(now.inFlight);
    this.queueAdds.inc(Math.max(0, now.adds - this.queueTotals.adds));
    this.queueRetries.inc(Math.max(0, now.retries - this.queueTotals.retries));
    this.queueTotals = { adds: Math.max(now.adds, this.queueTotals.adds), retries: Math.max(now.retries, this.queueTotals.retries) };
  }

  /** A deleted profile's series go with it. */
  forgetProfile(profile: string): void {
    for (const state of NAMESPACE_STATES) this.namespaces.remove({ profile, state });
  }
}
