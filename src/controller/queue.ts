/**
 * The work queue that feeds reconciles: keys (profile names), not events.
 *
 * Semantics (client-go's workqueue, in one small class):
 * - a key waiting in the queue is there once, however often it is added (dedup);
 * - a key is never handled by two workers at once; a key added while it is being
 *   handled runs again once, after the current run finishes;
 * - `addAfter` delays a key (the earliest pending time wins); `addRateLimited`
 *   delays it by its own exponential backoff (reset by `forget`);
 * - every handler run first takes a token from an overall token bucket (qps/burst),
 *   so a burst of keys cannot flood the API server;
 * - `concurrency` workers call the async handler; a throwing handler counts as
 *   "retry with backoff" and never escapes.
 *
 * The handler's result decides what happens next: `{ retry: true }` → backoff,
 * `{ requeueAfterMs }` → forget the backoff and come back later, nothing → done.
 */
import type { Logger } from "pino";
import { KeyedBackoff } from "../lib/backoff.js";
import { TokenBucket } from "../lib/ratelimit.js";

export interface HandlerResult {
  /** Run again after the key's exponential backoff (a retryable failure). */
  retry?: boolean;
  /** Run again after this many milliseconds (periodic resync, waiting for something). */
  requeueAfterMs?: number;
}

export type Outcome = "success" | "requeue" | "retry" | "error";

export interface WorkQueueOptions {
  handler: (key: string) => Promise<HandlerResult | undefined>;
  logger: Logger;
  /** Workers; default 1. */
  concurrency?: number;
  /** Handler runs per second over all keys; default 10. `Infinity` disables the limit. */
  qps?: number;
  /** Handler runs allowed at once before qps applies; default 100. */
  burst?: number;
  /** First retry delay of a key; default 100 ms (then ×2 per failure). */
  baseDelayMs?: number;
  /** Largest retry delay; default 60 s. */
  maxDelayMs?: number;
  /** Called after every handler run (for a duration histogram / outcome counter). */
  onProcessed?: (key: string, durationSeconds: number, outcome: Outcome) => void;
}

export interface QueueMetrics {
  /** Keys ready to run (not counting delayed or in-flight keys). */
  depth: number;
  /** Keys waiting for a delay (addAfter / addRateLimited) to pass. */
  delayed: number;
  /** Keys being handled now. */
  inFlight: number;
  /** add() calls accepted since start (including deduplicated ones). */
  adds: number;
  /** addRateLimited() calls (retries) since start. */
  retries: number;
  /** Handler runs finished. */
  processed: number;
  /** Handler runs that threw. */
  errors: number;
}

export interface ShutdownOptions {
  /** Wait for in-flight handler runs to finish (queued keys are dropped either way). */
  drain?: boolean;
  /** Give up waiting after this long; default: wait as long as it takes. */
  timeoutMs?: number;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  /** Keys that need a run: waiting in `queue`, or added again while in flight. */
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly backoff: KeyedBackoff;
  private readonly bucket: TokenBucket | undefined;
  private readonly concurrency: number;
  private readonly handler: WorkQueueOptions["handler"];
  private readonly log: Logger;
  private readonly onProcessed: WorkQueueOptions["onProcessed"];
  /** Workers parked in `next()`, waiting for a key. */
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private workers: Promise<void>[] = [];
  private started = false;
  private shuttingDown = false;
  private counters = { adds: 0, retries: 0, processed: 0, errors: 0 };

  constructor(options: WorkQueueOptions) {
    this.handler = options.handler;
    this.log = options.logger;
    this.onProcessed = options.onProcessed;
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
    const qps = options.qps ?? 10;
    this.bucket = qps === Infinity ? undefined : new TokenBucket({ qps, burst: options.burst ?? 100 });
    this.backoff = new KeyedBackoff({ baseMs: options.baseDelayMs ?? 100, maxMs: options.maxDelayMs ?? 60_000 });
  }

  /** Queues `key` unless it is already waiting; a key in flight runs again afterwards. */
  add(key: string): void {
    if (this.shuttingDown) return;
    this.counters.adds++;
    if (this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /** Queues `key` after `delayMs`; an earlier pending time for the same key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + delayMs;
    const pending = this.delayed.get(key);
    if (pending) {
      if (pending.at <= at) return;
      clearTimeout(pending.timer);
    }
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.delayed.set(key, { at, timer });
  }

  /** Queues `key` after its exponential backoff (one more failure). */
  addRateLimited(key: string): void {
    if (this.shuttingDown) return;
    this.counters.retries++;
    this.addAfter(key, this.backoff.next(key));
  }

  /** Resets the backoff of `key`. */
  forget(key: string): void {
    this.backoff.forget(key);
  }

  /** Failures of `key` since it was last forgotten. */
  attempts(key: string): number {
    return this.backoff.attempts(key);
  }

  /** Keys ready to run. */
  len(): number {
    return this.queue.length;
  }

  metrics(): QueueMetrics {
    return { depth: this.queue.length, delayed: this.delayed.size, inFlight: this.processing.size, ...this.counters };
  }

  /** Starts the workers (idempotent). */
  start(): void {
    if (this.started || this.shuttingDown) return;
    this.started = true;
    this.workers = Array.from({ length: this.concurrency }, (_, i) => this.work(i));
  }

  /**
   * Stops taking work: delayed and queued keys are dropped, new adds ignored.
   * With `drain`, resolves once in-flight runs have finished (or `timeoutMs` passed).
   */
  async shutdown(options: ShutdownOptions = {}): Promise<void> {
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    this.queue.length = 0;
    for (const key of [...this.dirty]) if (!this.processing.has(key)) this.dirty.delete(key);
    for (const wake of this.waiters.splice(0)) wake(undefined);
    if (!options.drain) return;
    const all = Promise.all(this.workers).then(() => undefined);
    if (options.timeoutMs === undefined) return all;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, options.timeoutMs)));
    await Promise.race([all, timeout]);
    clearTimeout(timer);
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  private push(key: string): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      this.take(key);
      waiter(key);
    } else {
      this.queue.push(key);
    }
  }

  /** Moves `key` from waiting to in flight. */
  private take(key: string): void {
    this.dirty.delete(key);
    this.processing.add(key);
  }

  private next(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key !== undefined) {
      this.take(key);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.shuttingDown) this.push(key);
    else this.dirty.delete(key);
  }

  private async work(worker: number): Promise<void> {
    for (;;) {
      const key = await this.next();
      if (key === undefined) return;
      try {
        const wait = this.bucket?.reserve() ?? 0;
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        await this.process(key, worker);
      } finally {
        this.done(key);
      }
    }
  }

  private async process(key: string, worker: number): Promise<void> {
    const started = performance.now();
    let outcome: Outcome;
    try {
      const result = (await this.handler(key)) ?? {};
      if (result.retry) {
        outcome = "retry";
        this.addRateLimited(key);
      } else if (result.requeueAfterMs !== undefined) {
        outcome = "requeue";
        this.forget(key);
        this.addAfter(key, result.requeueAfterMs);
      } else {
        outcome = "success";
        this.forget(key);
      }
    } catch (err) {
      outcome = "error";
      this.counters.errors++;
      this.log.error({ err, key, worker, attempts: this.backoff.attempts(key) + 1 }, "Reconcile failed; retrying with backoff");
      this.addRateLimited(key);
    }
    this.counters.processed++;
    try {
      this.onProcessed?.(key, (performance.now() - started) / 1000, outcome);
    } catch (err) {
      this.log.warn({ err, key }, "Queue metrics hook failed");
    }
  }
}
