import { describe, expect, it } from "@jest/globals";
import { bounded } from "../../../src/lib/bounded.js";

/** What a status text holds: at most `max` characters, and the cut part counted exactly. */
function cut(text: string, max: number): { length: number; kept: number; counted: number } {
  const out = bounded(text, max);
  const counted = /… \((\d+) more characters\)$/.exec(out)?.[1];
  const kept = counted === undefined ? out.length : out.indexOf(" … (");
  return { length: out.length, kept, counted: counted === undefined ? 0 : Number(counted) };
}

describe("bounded", () => {
  it.each<[string, number, number, { length: number; kept: number; counted: number }]>([
    ["a text at the limit is kept whole", 1024, 1024, { length: 1024, kept: 1024, counted: 0 }],
    ["one character over is cut, and the cut counted", 1025, 1024, { length: 1022, kept: 999, counted: 26 }],
    ["a long text is cut to the limit", 100_000, 1024, { length: 1023, kept: 997, counted: 99_003 }],
    ["a short text is untouched", 10, 1024, { length: 10, kept: 10, counted: 0 }],
  ])("%s", (_name, size, max, expected) => {
    const result = cut("x".repeat(size), max);
    expect(result).toEqual(expected);
    expect(result.length).toBeLessThanOrEqual(max);
    expect(result.kept + result.counted).toBe(size);
  });
});
