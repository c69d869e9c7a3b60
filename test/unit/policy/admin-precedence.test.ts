import { describe, expect, it } from "@jest/globals";
import { adminPrecedence, type Contender } from "../../../src/policy/admin-precedence.js";

const c = (name: string, priority: number, created: string, namespaces: string[]): Contender => ({ name, priority, created, namespaces: new Set(namespaces) });
const T1 = "2026-01-01T00:00:00Z";
const T2 = "2026-01-02T00:00:00Z";
const T3 = "2026-01-03T00:00:00Z";

describe("which of several Admin-tier profiles writes its object", () => {
  it.each<[string, Contender, Contender[], string | undefined]>([
    ["alone", c("a", 100, T1, ["dev"]), [], undefined],
    ["same priority, no shared namespace", c("b", 100, T2, ["test"]), [c("a", 100, T1, ["dev"])], undefined],
    ["same priority, shared, created later: yields", c("b", 100, T2, ["dev", "test"]), [c("a", 100, T1, ["dev"])], "a"],
    ["same priority, shared, created first: keeps", c("a", 100, T1, ["dev"]), [c("b", 100, T2, ["dev", "test"])], undefined],
    ["same priority, same second: the name decides", c("b", 100, T1, ["dev"]), [c("a", 100, T1, ["dev"])], "a"],
    ["same priority, same second, name first: keeps", c("a", 100, T1, ["dev"]), [c("b", 100, T1, ["dev"])], undefined],
    ["different priorities, shared: both write", c("b", 50, T2, ["dev"]), [c("a", 100, T1, ["dev"])], undefined],
    ["a lower priority never yields to a higher one", c("a", 100, T1, ["dev"]), [c("b", 50, T2, ["dev"])], undefined],
    // c meets only b, and b yields to a: b writes nothing, so c at b's priority does not conflict.
    ["greedy: a profile that yields holds nothing", c("c", 100, T3, ["test"]), [c("a", 100, T1, ["dev"]), c("b", 100, T2, ["dev", "test"])], undefined],
    ["greedy: the second of three at one priority yields to the first", c("b", 100, T2, ["dev", "test"]), [c("a", 100, T1, ["dev"]), c("c", 100, T3, ["test"])], "a"],
    ["an older profile at the same priority elsewhere does not matter", c("b", 100, T2, ["test"]), [c("a", 100, T1, ["dev"]), c("z", 7, T1, ["test"])], undefined],
    ["its own entry among the others is ignored", c("a", 100, T2, ["dev"]), [c("a", 100, T1, ["dev"])], undefined],
  ])("%s", (_name, self, others, yieldsTo) => {
    expect(adminPrecedence(self, others).yieldsTo?.name).toBe(yieldsTo);
  });

  it("names the shared namespaces, sorted", () => {
    expect(adminPrecedence(c("b", 100, T2, ["z", "dev", "test", "x"]), [c("a", 100, T1, ["test", "z", "dev"])]).yieldsTo).toEqual({ name: "a", shared: ["dev", "test", "z"] });
  });

  it("gives every profile the same answer from the same set (the rule is global, not per pair)", () => {
    const all = [c("a", 100, T1, ["n1"]), c("b", 100, T2, ["n1", "n2"]), c("c", 100, T3, ["n2", "n3"]), c("d", 100, T3, ["n3"]), c("e", 20, T3, ["n1", "n3"])];
    const yields = Object.fromEntries(all.map((self) => [self.name, adminPrecedence(self, all).yieldsTo?.name ?? "-"]));
    // a keeps 100 on n1; b meets a: yields; c meets only b (which holds nothing): keeps; d meets c: yields; e is alone at 20.
    expect(yields).toEqual({ a: "-", b: "a", c: "-", d: "c", e: "-" });
  });
});

describe("the notes in both profiles' status", () => {
  it("the one that decides first and the one decided for each say so, naming the namespaces", () => {
    const first = c("strict", 10, T2, ["dev", "test"]);
    const later = c("team", 100, T1, ["dev"]);
    expect(adminPrecedence(first, [later]).notes).toEqual(["profile team (priority 100) also selects namespace dev; this profile decides their in-cluster traffic first"]);
    expect(adminPrecedence(later, [first]).notes).toEqual([
      "profile strict (priority 10) also selects namespace dev and decides their in-cluster traffic first; this profile's Admin-tier rules are not reached for the directions it isolates there",
    ]);
  });

  it("at a tie the keeper names the one that yields; the one that yields gets no notes (its Degraded condition says it)", () => {
    const a = c("a", 100, T1, ["dev", "test"]);
    const b = c("b", 100, T2, ["dev", "test"]);
    expect(adminPrecedence(a, [b]).notes).toEqual(["profile b also selects namespaces dev, test at the same priority 100; this profile was created first and keeps it, so b writes no Admin-tier object until its spec.priority differs"]);
    expect(adminPrecedence(b, [a])).toEqual({ yieldsTo: { name: "a", shared: ["dev", "test"] }, notes: [] });
  });

  it("says nothing about profiles it shares no namespace with, and bounds long namespace lists", () => {
    const many = Array.from({ length: 40 }, (_, i) => `ns-${String(i).padStart(2, "0")}`);
    const notes = adminPrecedence(c("a", 10, T1, many), [c("b", 20, T1, many), c("c", 5, T1, ["elsewhere"])]).notes;
    expect(notes).toEqual(["profile b (priority 20) also selects namespaces ns-00, ns-01, ns-02, ns-03, ns-04 and 35 more; this profile decides their in-cluster traffic first"]);
  });
});
