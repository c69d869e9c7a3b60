import { describe, expect, it } from "@jest/globals";
import { DriftContest } from "../../../src/controller/contest.js";

/** A fight on a fake clock: `heals` restores, each as soon as allowed and undone 100 ms later; the waits and whether it is contested at the end. */
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
    ["a sustained fight stays at the cap (the waits never fall back while it lasts)", 12, [0, 0, 900, 1900, 3900, 7900, 7900, 7900, 7900, 7900, 7900, 7900], true],
  ])("%s", (_name, heals, waits, contested) => {
    expect(run(heals)).toEqual({ waits, contested });
  });

  it("stays contested until the policy has stayed put for 20 s after the last restore, then forgets it", () => {
    const c = clocked();
    const { contest } = c;
    healRepeatedly(c, "k", 6);
    c.advance(19_999);
    expect(contest.contested("k")).toBe(true);
    expect(contest.quietIn("k")).toBe(11);
    c.advance(1);
    expect(contest.contested("k")).toBe(false);
    expect(contest.wait("k")).toBe(0);
    expect(contest.quietIn("k")).toBeUndefined();
  });

  it("starts a new streak after 20 s of quiet: its first two restores are free again", () => {
    const c = clocked();
    healRepeatedly(c, "k", 6);
    c.advance(20_000);
    expect([c.contest.wait("k"), (c.contest.healed("k"), c.contest.wait("k"))]).toEqual([0, 0]);
    c.contest.healed("k");
    expect(c.contest.contested("k")).toBe(false);
  });

  it("never backs off restores 20 s or more apart", () => {
    const c = clocked();
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      waits.push(c.contest.wait("k"));
      c.contest.healed("k");
      c.advance(20_000);
    }
    expect({ waits, contested: c.contest.contested("k") }).toEqual({ waits: [0, 0, 0, 0, 0], contested: false });
  });

  it("counts a held-back restore as contested only until its time is up (the other client may have put the policy back)", () => {
    const c = clocked();
    healRepeatedly(c, "k", 2);
    c.advance(100);
    expect(c.contest.wait("k")).toBe(900);
    expect(c.contest.contested("k")).toBe(true);
    expect(c.contest.quietIn("k")).toBe(910);
    c.advance(900);
    expect(c.contest.contested("k")).toBe(false);
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
