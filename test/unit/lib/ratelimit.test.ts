import { describe, expect, it } from "@jest/globals";
import { TokenBucket } from "../../../src/lib/ratelimit.js";

function clock(start = 0) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe("TokenBucket", () => {
  it.each<[string, { qps: number; burst: number }, number[], number[]]>([
    ["a full bucket grants the burst without waiting", { qps: 10, burst: 3 }, [0, 0, 0], [0, 0, 0]],
    ["past the burst each token waits 1/qps more", { qps: 10, burst: 2 }, [0, 0, 0, 0], [0, 0, 100, 200]],
    ["time refills the bucket, after outstanding reservations", { qps: 10, burst: 1 }, [0, 0, 200], [0, 100, 0]],
    ["refill never exceeds the burst", { qps: 10, burst: 2 }, [0, 10_000, 0, 0], [0, 0, 0, 100]],
  ])("%s", (_name, options, advances, expected) => {
    const c = clock();
    const bucket = new TokenBucket({ ...options, now: c.now });
    const waits = advances.map((ms) => {
      c.advance(ms);
      return bucket.reserve();
    });
    waits.forEach((w, i) => expect(w).toBeCloseTo(expected[i]!, 6));
  });

  it("rejects a non-positive qps with a clear message", () => {
    expect(() => new TokenBucket({ qps: 0, burst: 1 })).toThrow("qps must be > 0");
  });

  it("an infinite qps never waits", () => {
    const bucket = new TokenBucket({ qps: Infinity, burst: 1 });
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 0]);
  });
});
