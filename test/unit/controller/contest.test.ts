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
    let now = 0;
    const contest = new DriftContest({ now: () => now });
    for (let i = 0; i < 3; i++) {
      now += contest.wait("k");
      contest.healed("k");
    }
    expect(contest.contested("k")).toBe(true);
    expect(contest.quietIn("k")).toBeGreaterThan(0);
    now += 20_001;
    expect(contest.contested("k")).toBe(false);
    expect(contest.wait("k")).toBe(0);
    expect(contest.quietIn("k")).toBeUndefined();
  });

  it("keeps policies apart", () => {
    let now = 0;
    const contest = new DriftContest({ now: () => now });
    for (let i = 0; i < 4; i++) {
      now += contest.wait("a");
      contest.healed("a");
    }
    expect(contest.contested("a")).toBe(true);
    expect(contest.contested("b")).toBe(false);
    expect(contest.wait("b")).toBe(0);
  });

  it("lists the contested keys only: healed once is not contested, and a quiet window clears the list", () => {
    let now = 0;
    const contest = new DriftContest({ now: () => now });
    for (let i = 0; i < 3; i++) {
      now += contest.wait("a");
      contest.healed("a");
    }
    contest.healed("b");
    expect(contest.contestedKeys()).toEqual(["a"]);
    now += 20_001;
    expect(contest.contestedKeys()).toEqual([]);
  });
});
