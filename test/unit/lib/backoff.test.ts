import { describe, expect, it } from "@jest/globals";
import { backoffDelay, KeyedBackoff } from "../../../src/lib/backoff.js";

describe("backoffDelay", () => {
  it.each<[string, number, { baseMs: number; maxMs: number; factor?: number; jitter?: number }, number, number]>([
    ["the first retry waits the base delay", 0, { baseMs: 100, maxMs: 60_000 }, 0.5, 100],
    ["each failure doubles the delay", 3, { baseMs: 100, maxMs: 60_000 }, 0.5, 800],
    ["the delay never exceeds the cap", 20, { baseMs: 100, maxMs: 60_000 }, 0.5, 60_000],
    ["a huge attempt count is the cap, not Infinity", 5000, { baseMs: 100, maxMs: 60_000 }, 0.5, 60_000],
    ["a custom factor grows by that factor", 2, { baseMs: 10, maxMs: 1000, factor: 3 }, 0.5, 90],
    ["full jitter with random 0 waits nothing", 2, { baseMs: 100, maxMs: 60_000, jitter: 1 }, 0, 0],
    ["half jitter with random 0 waits half", 2, { baseMs: 100, maxMs: 60_000, jitter: 0.5 }, 0, 200],
    ["jitter with random 1 waits the full delay", 2, { baseMs: 100, maxMs: 60_000, jitter: 0.5 }, 1, 400],
    ["jitter keeps the cap", 30, { baseMs: 100, maxMs: 1000, jitter: 0.5 }, 1, 1000],
  ])("%s", (_name, attempt, options, random, expected) => {
    expect(backoffDelay(attempt, options, () => random)).toBeCloseTo(expected, 6);
  });
});

describe("KeyedBackoff", () => {
  it("grows per key up to the cap and keeps keys apart", () => {
    const b = new KeyedBackoff({ baseMs: 100, maxMs: 1000 });
    expect([b.next("a"), b.next("a"), b.next("a"), b.next("a"), b.next("a"), b.next("a")]).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(b.next("b")).toBe(100);
    expect(b.attempts("a")).toBe(6);
  });

  it("forget resets a key to the base delay", () => {
    const b = new KeyedBackoff({ baseMs: 100, maxMs: 1000 });
    b.next("a");
    b.next("a");
    b.forget("a");
    expect(b.attempts("a")).toBe(0);
    expect(b.next("a")).toBe(100);
    expect(b.size()).toBe(1);
  });
});
