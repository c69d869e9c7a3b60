/**
 * Leader election on a coordination.k8s.io/v1 Lease (client-node 1.4.0 has no
 * helper), following client-go's leaderelection:
 *
 * - Candidates poll the Lease every `retryPeriod` (with jitter). A Lease held by
 *   someone else counts as expired only when its resourceVersion has not changed
 *   for `leaseDurationSeconds` by OUR clock (observed-time expiry: clocks of
 *   different nodes are never compared). A Lease with an empty holder is free.
 * - Every write is a replace carrying the resourceVersion read (optimistic
 *   concurrency): two candidates can never both win. `acquireTime`/`renewTime`
 *   are `V1MicroTime` (a plain Date serialises with milliseconds and is rejected).
 * - The leader renews every `retryPeriod`. If it cannot renew for `renewDeadline`
 *   (shorter than the lease duration, so it stops before anyone else may start),
 *   or it sees another holder, it has lost: `onStoppedLeading("lost")` — the
 *   process should exit.
 * - `release()` (on SIGTERM, after draining) writes an empty holder with a 1 s
 *   duration, so a standby takes over on its next poll instead of waiting for expiry.
 */
import { CoordinationV1Api, V1Lease, V1LeaseSpec, V1MicroTime, V1ObjectMeta, type KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { classify } from "./errors.js";

export type StopReason = "lost" | "released" | "stopped";

export interface LeaderElectorOptions {
  namespace: string;
  /** The Lease's name, e.g. "netfence-leader". */
  name: string;
  /** This candidate, unique per process: pod name + random suffix. */
  identity: string;
  /** How long a Lease is valid without renewal; default 15 s. */
  leaseDurationMs?: number;
  /** The leader gives up after failing to renew this long; default 10 s (< leaseDuration). */
  renewDeadlineMs?: number;
  /** Poll / renew interval; default 2 s. */
  retryPeriodMs?: number;
  logger: Logger;
  onStartedLeading: () => void;
  /** "lost": renewal failed past the deadline or another holder took over — exit the process. */
  onStoppedLeading: (reason: StopReason) => void;
  /** Called when the observed holder changes (including to ourselves). */
  onNewLeader?: (identity: string) => void;
}

type Attempt = "acquired" | "held" | "failed";

const JITTER = 1.2;

export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly log: Logger;
  private readonly stopController = new AbortController();
  private leading = false;
  private running = false;
  private stopReason: StopReason | undefined;
  private observedRv: string | undefined;
  private observedAt = 0;
  private observedHolder = "";
  private lastRenew = 0;

  constructor(
    kc: KubeConfig,
    private readonly options: LeaderElectorOptions,
  ) {
    this.api = kc.makeApiClient(CoordinationV1Api);
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (this.renewDeadlineMs >= this.leaseDurationMs) throw new Error("leader election: renewDeadline must be shorter than leaseDuration");
    if (this.retryPeriodMs * JITTER >= this.renewDeadlineMs) throw new Error("leader election: retryPeriod × 1.2 must be shorter than renewDeadline");
    this.log = options.logger.child({ lease: `${options.namespace}/${options.name}`, identity: options.identity });
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** The holder seen on the Lease at the last poll ("" when free or unknown). */
  leader(): string {
    return this.observedHolder;
  }

  /**
   * Campaigns until elected, then renews until leadership ends. Resolves with why
   * it ended; does not campaign again (a process that lost should exit).
   */
  async run(): Promise<StopReason> {
    if (this.running) throw new Error("leader election: run() called twice");
    this.running = true;
    this.log.info("Waiting to acquire the leader lease");
    let acquired = false;
    while (!this.stopped()) {
      acquired = (await this.tryAcquireOrRenew(this.retryPeriodMs * 2)) === "acquired";
      if (acquired) break;
      await this.sleep(this.retryPeriodMs * (1 + Math.random() * (JITTER - 1)));
    }
    const early = this.stopped();
    if (early) {
      // release() raced with a successful acquire: hand the Lease back now.
      if (acquired && early === "released") await this.releaseLease();
      return early;
    }

    this.leading = true;
    this.lastRenew = Date.now();
    this.log.info("Acquired the leader lease");
    this.safely("onStartedLeading", () => this.options.onStartedLeading());

    while (!this.stopped()) {
      await this.sleep(this.retryPeriodMs);
      if (this.stopped()) break;
      const remaining = this.renewDeadlineMs - (Date.now() - this.lastRenew);
      const attempt = await this.tryAcquireOrRenew(Math.max(remaining, 1));
      if (this.stopped()) break;
      if (attempt === "acquired") {
        this.lastRenew = Date.now();
        continue;
      }
      if (attempt === "held") {
        this.log.error({ holder: this.observedHolder }, "Another candidate holds the leader lease; leadership lost");
        this.end("lost");
      } else if (Date.now() - this.lastRenew > this.renewDeadlineMs) {
        this.log.error({ renewDeadlineMs: this.renewDeadlineMs }, "Could not renew the leader lease before the deadline; leadership lost");
        this.end("lost");
      }
    }
    return this.stopped() ?? "stopped";
  }

  /** Why we stopped, if we did (a method, so checks after an await are not narrowed away). */
  private stopped(): StopReason | undefined {
    return this.stopReason;
  }

  /**
   * Stops campaigning and, when leading, hands the Lease over (empty holder,
   * 1 s duration) so a standby takes over on its next poll. Never throws.
   */
  async release(): Promise<void> {
    const wasLeading = this.leading;
    this.end("released");
    if (wasLeading) await this.releaseLease();
  }

  private async releaseLease(): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const lease = await this.api.readNamespacedLease({ name: this.options.name, namespace: this.options.namespace });
        if (lease.spec?.holderIdentity !== this.options.identity) return;
        const now = new V1MicroTime();
        const spec = Object.assign(new V1LeaseSpec(), {
          holderIdentity: "",
          leaseDurationSeconds: 1,
          acquireTime: now,
          renewTime: now,
          leaseTransitions: lease.spec.leaseTransitions ?? 0,
        });
        await this.api.replaceNamespacedLease({ name: this.options.name, namespace: this.options.namespace, body: this.leaseBody(spec, lease.metadata?.resourceVersion) });
        this.log.info("Released the leader lease");
        return;
      } catch (err) {
        const e = classify(err);
        if (e.kind !== "Conflict") {
          this.log.warn({ kind: e.kind }, `Could not release the leader lease: ${e.message}`);
          return;
        }
      }
    }
  }

  /** Stops campaigning and renewing without touching the Lease (it expires on its own). */
  stop(): void {
    this.end("stopped");
  }

  private end(reason: StopReason): void {
    if (this.stopReason) return;
    this.stopReason = reason;
    this.stopController.abort();
    if (this.leading) {
      this.leading = false;
      this.safely("onStoppedLeading", () => this.options.onStoppedLeading(reason));
    }
  }

  /** One round of client-go's tryAcquireOrRenew. */
  private async tryAcquireOrRenew(timeoutMs: number): Promise<Attempt> {
    const { name, namespace, identity } = this.options;
    const now = Date.now();
    try {
      let lease: V1Lease;
      try {
        lease = await this.withTimeout(this.api.readNamespacedLease({ name, namespace }), timeoutMs);
      } catch (err) {
        if (classify(err).kind !== "NotFound") throw err;
        const created = await this.withTimeout(this.api.createNamespacedLease({ namespace, body: this.leaseBody(this.spec(undefined, true)) }), timeoutMs);
        this.observe(created, Date.now());
        return "acquired";
      }
      this.observe(lease, now);
      const spec = lease.spec;
      const holder = spec?.holderIdentity ?? "";
      const durationMs = (spec?.leaseDurationSeconds ?? this.leaseDurationMs / 1000) * 1000;
      if (holder !== "" && holder !== identity && this.observedAt + durationMs > now) return "held";
      const body = this.leaseBody(this.spec(spec, holder !== identity), lease.metadata?.resourceVersion);
      const replaced = await this.withTimeout(this.api.replaceNamespacedLease({ name, namespace, body }), timeoutMs);
      this.observe(replaced, Date.now());
      return "acquired";
    } catch (err) {
      const e = classify(err);
      if (e.kind === "Conflict" || e.kind === "AlreadyExists") this.log.debug({ kind: e.kind }, "Lost a race for the leader lease");
      else this.log.warn({ kind: e.kind, code: e.code }, `Leader lease request failed: ${e.message}`);
      return "failed";
    }
  }

  /** Records a Lease read or written: a new resourceVersion restarts the observed-time clock. */
  private observe(lease: V1Lease, at: number): void {
    const rv = lease.metadata?.resourceVersion;
    if (rv !== this.observedRv) {
      this.observedRv = rv;
      this.observedAt = at;
    }
    const holder = lease.spec?.holderIdentity ?? "";
    if (holder !== this.observedHolder) {
      this.observedHolder = holder;
      if (holder) {
        this.log.info({ holder }, "New leader observed");
        const onNewLeader = this.options.onNewLeader;
        if (onNewLeader) this.safely("onNewLeader", () => onNewLeader(holder));
      }
    }
  }

  /** Our spec: renewing keeps acquireTime and transitions; taking over counts a transition. */
  private spec(previous: V1LeaseSpec | undefined, takingOver: boolean): V1LeaseSpec {
    const now = new V1MicroTime();
    const transitions = previous?.leaseTransitions ?? 0;
    return Object.assign(new V1LeaseSpec(), {
      holderIdentity: this.options.identity,
      leaseDurationSeconds: Math.max(1, Math.ceil(this.leaseDurationMs / 1000)),
      acquireTime: !takingOver && previous?.acquireTime ? new V1MicroTime(previous.acquireTime) : now,
      renewTime: now,
      leaseTransitions: takingOver && previous ? transitions + 1 : transitions,
    });
  }

  private leaseBody(spec: V1LeaseSpec, resourceVersion?: string): V1Lease {
    const metadata = Object.assign(new V1ObjectMeta(), { name: this.options.name, namespace: this.options.namespace });
    if (resourceVersion) metadata.resourceVersion = resourceVersion;
    return Object.assign(new V1Lease(), { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata, spec });
  }

  private withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`lease request timed out after ${String(Math.round(ms))}ms`), { name: "TimeoutError" })), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.stopController.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done);
    });
  }

  private safely(what: string, callback: () => void): void {
    try {
      callback();
    } catch (err) {
      this.log.error({ err }, `Leader election callback ${what} threw`);
    }
  }
}
