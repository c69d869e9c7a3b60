import { afterEach, describe, expect, it } from "@jest/globals";
import { WorkQueue, type HandlerResult, type WorkQueueOptions } from "../../../src/controller/queue.js";
import { silentLogger } from "../../../src/observability/logger.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Runs every promise callback already due (a macrotask turn), whatever the clock says. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** A queue whose handler records runs and the largest number of concurrent runs per key. */
function harness(options: Partial<WorkQueueOptions> & { work?: (key: string, run: number) => Promise<HandlerResult | undefined> } = {}) {
  const runs: string[] = [];
  const active = new Map<string, number>();
  let maxSameKey = 0;
  let maxActive = 0;
  let current = 0;
  const queue = new WorkQueue({
    logger: silentLogger(),
    qps: Infinity,
    baseDelayMs: 5,
    maxDelayMs: 40,
    ...options,
    handler: async (key) => {
      runs.push(key);
      const n = (active.get(key) ?? 0) + 1;
      active.set(key, n);
      current++;
      maxSameKey = Math.max(maxSameKey, n);
      maxActive = Math.max(maxActive, current);
      try {
        return options.work ? await options.work(key, runs.filter((k) => k === key).length) : undefined;
      } finally {
        active.set(key, (active.get(key) ?? 1) - 1);
        current--;
      }
    },
  });
  queues.push(queue);
  return { queue, runs, maxSameKey: () => maxSameKey, maxActive: () => maxActive };
}

const queues: WorkQueue[] = [];
afterEach(async () => {
  await Promise.all(queues.splice(0).map((q) => q.shutdown({ drain: true, timeoutMs: 2000 })));
});

describe("WorkQueue", () => {
  it("runs a key added several times before it starts only once", async () => {
    const h = harness();
    for (const key of ["a", "a", "b", "a"]) h.queue.add(key);
    expect(h.queue.len()).toBe(2);
    h.queue.start();
    await until(() => h.queue.metrics().processed === 2, "two runs");
    await sleep(20);
    expect(h.runs.sort()).toEqual(["a", "b"]);
    expect(h.queue.metrics().adds).toBe(4);
  });

  it("never runs one key twice at once, and runs a key added during its run once more afterwards", async () => {
    const h = harness({ concurrency: 4, work: (_key, run) => (run === 1 ? sleep(40) : Promise.resolve(undefined)) as Promise<undefined> });
    h.queue.start();
    h.queue.add("a");
    await until(() => h.runs.length === 1, "first run");
    h.queue.add("a");
    h.queue.add("a");
    h.queue.add("a");
    await until(() => h.queue.metrics().processed === 2, "the requeued run");
    await sleep(20);
    expect(h.runs).toEqual(["a", "a"]);
    expect(h.maxSameKey()).toBe(1);
  });

  it("runs different keys in parallel up to the concurrency", async () => {
    // Each run blocks until the test releases it; without a qps limit the queue moves on promise callbacks only, so settle() shows all it would do.
    const running: (() => void)[] = [];
    const h = harness({ concurrency: 3, work: () => new Promise<undefined>((finish) => running.push(() => finish(undefined))) });
    for (const key of ["a", "b", "c", "d", "e", "f"]) h.queue.add(key);
    h.queue.start();
    await settle();
    expect(h.runs).toEqual(["a", "b", "c"]);
    expect(h.queue.metrics()).toMatchObject({ inFlight: 3, depth: 3 });
    for (const next of ["d", "e", "f"]) {
      running.shift()!();
      await settle();
      expect(h.runs.at(-1)).toBe(next);
      expect(h.queue.metrics().inFlight).toBe(3);
    }
    for (const left of [2, 1, 0]) {
      running.shift()!();
      await settle();
      expect(h.queue.metrics().inFlight).toBe(left);
    }
    expect(h.queue.metrics().processed).toBe(6);
    expect(h.maxActive()).toBe(3);
  });

  it.each<[string, (run: number) => Promise<HandlerResult | undefined>, string]>([
    ["a handler that throws is retried with backoff", (run) => (run < 3 ? Promise.reject(new Error("boom")) : Promise.resolve(undefined)), "error"],
    ["a handler that asks for a retry is retried with backoff", (run) => Promise.resolve(run < 3 ? { retry: true } : undefined), "retry"],
  ])("%s, and success forgets the failures", async (_name, work, failedOutcome) => {
    const outcomes: string[] = [];
    const h = harness({ work: (_key, run) => work(run), onProcessed: (_k, _s, outcome) => outcomes.push(outcome) });
    h.queue.start();
    h.queue.add("a");
    await until(() => h.queue.metrics().processed === 3, "three runs");
    expect(outcomes).toEqual([failedOutcome, failedOutcome, "success"]);
    expect(h.queue.metrics().retries).toBe(2);
    expect(h.queue.attempts("a")).toBe(0);
  });

  it("keeps counting failures while a key keeps failing", async () => {
    const h = harness({ work: () => Promise.resolve({ retry: true }) });
    h.queue.start();
    h.queue.add("a");
    await until(() => h.queue.metrics().processed >= 4, "four runs");
    expect(h.queue.attempts("a")).toBeGreaterThanOrEqual(3);
  });

  it("requeueAfterMs runs the key again later", async () => {
    const h = harness({ work: (_key, run) => Promise.resolve(run === 1 ? { requeueAfterMs: 10 } : undefined) });
    h.queue.start();
    h.queue.add("a");
    await until(() => h.queue.metrics().processed === 2, "the requeued run");
    expect(h.runs).toEqual(["a", "a"]);
  });

  it("addAfter keeps the earliest pending time for a key, whichever call came first or last", async () => {
    const h = harness();
    h.queue.start();
    // Neither the first call (a: 60 s) nor the last (b: 60 s) may win: both run after 10 ms.
    h.queue.addAfter("a", 60_000);
    h.queue.addAfter("a", 10);
    h.queue.addAfter("a", 60_000);
    h.queue.addAfter("b", 10);
    h.queue.addAfter("b", 60_000);
    expect(h.queue.metrics().delayed).toBe(2);
    await until(() => h.runs.length === 2, "both delayed runs");
    expect([...h.runs].sort()).toEqual(["a", "b"]);
    expect(h.queue.metrics().delayed).toBe(0);
  });

  it("limits the overall rate with the token bucket", async () => {
    const h = harness({ concurrency: 5, qps: 50, burst: 1 });
    const started = Date.now();
    for (const key of ["a", "b", "c", "d", "e"]) h.queue.add(key);
    h.queue.start();
    await until(() => h.queue.metrics().processed === 5, "five runs");
    // Four runs past the burst at 50/s: at least ~80 ms (lower bound only, never flaky).
    expect(Date.now() - started).toBeGreaterThanOrEqual(60);
  });

  it("shutdown with drain waits for in-flight runs, drops queued keys and ignores new adds", async () => {
    let finished = 0;
    const h = harness({
      concurrency: 1,
      work: async () => {
        await sleep(50);
        finished++;
        return undefined;
      },
    });
    h.queue.add("a");
    h.queue.add("b");
    h.queue.start();
    await until(() => h.runs.length === 1, "first run");
    h.queue.addAfter("c", 5);
    await h.queue.shutdown({ drain: true });
    expect(finished).toBe(1);
    h.queue.add("d");
    await sleep(30);
    expect(h.runs).toEqual(["a"]);
    expect(h.queue.metrics()).toMatchObject({ depth: 0, delayed: 0, inFlight: 0 });
  });

  it("shutdown with a drain timeout gives up on a stuck handler", async () => {
    const h = harness({ work: () => new Promise<undefined>(() => undefined) });
    h.queue.add("a");
    h.queue.start();
    await until(() => h.runs.length === 1, "first run");
    await h.queue.shutdown({ drain: true, timeoutMs: 20 });
    expect(h.queue.metrics().inFlight).toBe(1);
    queues.length = 0;
  });
});
