import { describe, expect, it } from "@jest/globals";
import { DriftContest } from "../../../src/controller/contest.js";

/** A contest on a fake clock: heal at each of `times` (ms) as soon as allowed, recording the waits. */
function run(heals: number): { waits: number[]; contested: boolean } {
  let now = 0;
  const contest = new DriftContest({ now: () => now });
  const waits: number[] = [];
  for (let i = 0; i < heals; i++) {
    const wait = contest.wait("ns/p");
    waits.push(wait);
    now += wait;
    contest.healed("ns/p");
    now += 100; // the other client undoes the heal 100 ms later
  }
  return { waits, contested: contest.contested("ns/p") };
}

/** A contest on a fake clock the test can move. */
function clocked(): { contest: DriftContest; advance: (ms: number) => void } {
  let now = 0;
  return { contest: new DriftContest({ now: () => now }), advance: (ms) => (now += ms) };
}

/** Heals `key` `times` times, each as soon as the contest allows. */
function healRepeatedly(c: ReturnType<typeof clocked>, key: string, times: number): void {
  for (let i = 0; i < times; i++) {
    c.advance(c.contest.wait(key));
    c.contest.healed(key);
  }
}

describe("DriftContest", () => {
  it.each<[string, number, number[], boolean]>([
    ["a single heal is immediate and not contested", 1, [0], false],
    ["two heals are free", 2, [0, 0], false],
    ["the third heal within the window waits and makes the policy contested", 3, [0, 0, 900], true],
    ["waits double after that", 5, [0, 0, 900, 1900, 3900], true],
    ["waits are capped at 8 s", 7, [0, 0, 900, 1900, 3900, 7900, 7900], true],
  ])("%s", (_name, heals, waits, contested) => {
    expect(run(heals)).toEqual({ waits, contested });
  });

  it("forgets a policy that stayed put for the window", () => {
    const c = clocked();
    const { contest } = c;
    healRepeatedly(c, "k", 3);
    expect(contest.contested("k")).toBe(true);
    expect(contest.quietIn("k")).toBeGreaterThan(0);
    c.advance(20_001);
    expect(contest.contested("k")).toBe(false);
    expect(contest.wait("k")).toBe(0);
    expect(contest.quietIn("k")).toBeUndefined();
  });

  it("keeps policies apart", () => {
    const c = clocked();
    const { contest } = c;
    healRepeatedly(c, "a", 4);
    expect(contest.contested("a")).toBe(true);
    expect(contest.contested("b")).toBe(false);
    expect(contest.wait("b")).toBe(0);
  });

  it("lists the contested keys only: healed once is not contested, and a quiet window clears the list", () => {
    const c = clocked();
    const { contest } = c;
    healRepeatedly(c, "a", 3);
    contest.healed("b");
    expect(contest.contestedKeys()).toEqual(["a"]);
    c.advance(20_001);
    expect(contest.contestedKeys()).toEqual([]);
  });
});
