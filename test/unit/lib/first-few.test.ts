import { describe, expect, it } from "@jest/globals";
import { firstFew, type FirstFewOptions } from "../../../src/lib/first-few.js";

const letters = (n: number) => "abcdefghij".slice(0, n).split("");
const peers: FirstFewOptions = { separator: "; ", and: "; and ", noun: "peer" };

describe("firstFew", () => {
  it.each<[string, string[], number, FirstFewOptions, string]>([
    ["nothing is an empty string", [], 5, {}, ""],
    ["as many as shown are all named", letters(5), 5, {}, "a, b, c, d, e"],
    ["one more is counted", letters(6), 5, {}, "a, b, c, d, e and 1 more"],
    ["the rest are counted", letters(8), 5, {}, "a, b, c, d, e and 3 more"],
    ["a smaller head", letters(4), 3, {}, "a, b, c and 1 more"],
    ["peers within the limit", letters(4), 4, peers, "a; b; c; d"],
    ["one more peer, singular", letters(5), 4, peers, "a; b; c; d; and 1 more peer"],
    ["more peers, plural", letters(6), 4, peers, "a; b; c; d; and 2 more peers"],
  ])("%s", (_name, items, shown, options, expected) => {
    expect(firstFew(items, shown, options)).toBe(expected);
  });
});
