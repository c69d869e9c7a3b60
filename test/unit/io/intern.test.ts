import { describe, expect, it } from "@jest/globals";
import { JsonInterner } from "../../../src/io/intern.js";
import { deepFreeze } from "../../../src/lib/freeze.js";

describe("JsonInterner", () => {
  it.each<[string, unknown, unknown, boolean]>([
    ["equal objects come back as one", { a: 1, b: [1, 2] }, { a: 1, b: [1, 2] }, true],
    ["key order does not matter", { a: 1, b: 2 }, { b: 2, a: 1 }, true],
    ["list order does", [1, 2], [2, 1], false],
    ["a different value stays apart", { app: "web" }, { app: "api" }, false],
  ])("%s", (_name, first, second, same) => {
    const interner = new JsonInterner();
    const a = interner.intern(first);
    expect(interner.intern(second) === a).toBe(same);
  });

  it("passes scalars and null through", () => {
    const interner = new JsonInterner();
    expect([interner.intern("x"), interner.intern(3), interner.intern(null), interner.intern(undefined)]).toEqual(["x", 3, null, undefined]);
    expect(interner.size).toBe(0);
  });

  it("freezes what it keeps, deeply", () => {
    const kept = new JsonInterner().intern({ spec: { podSelector: { matchLabels: { app: "web" } } } });
    expect(() => {
      (kept.spec.podSelector.matchLabels as Record<string, string>).app = "api";
    }).toThrow(TypeError);
  });

  it("forgets everything at its bound, then starts sharing again", () => {
    const interner = new JsonInterner(2);
    const a = interner.intern({ n: 1 });
    interner.intern({ n: 2 });
    interner.intern({ n: 3 });
    expect(interner.size).toBe(1);
    expect(interner.intern({ n: 1 })).not.toBe(a);
    expect(interner.intern({ n: 3 })).toEqual({ n: 3 });
  });
});

describe("deepFreeze", () => {
  it("freezes nested objects and arrays and returns the value", () => {
    const value = { a: [{ b: 1 }] };
    expect(deepFreeze(value)).toBe(value);
    expect(Object.isFrozen(value.a)).toBe(true);
    expect(Object.isFrozen(value.a[0])).toBe(true);
  });
});
