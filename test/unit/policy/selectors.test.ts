import { describe, expect, it } from "@jest/globals";
import type { LabelSelector, Labels } from "../../../src/k8s/objects.js";
import { isEmptySelector, matchesSelector } from "../../../src/policy/selectors.js";

describe("matchesSelector", () => {
  it.each<[string, LabelSelector | undefined, Labels | undefined, boolean]>([
    ["an undefined selector selects nothing", undefined, { team: "a" }, false],
    ["an empty selector selects everything", {}, { team: "a" }, true],
    ["an empty selector selects an object without labels", {}, undefined, true],
    ["matchLabels needs every pair", { matchLabels: { team: "a", env: "dev" } }, { team: "a" }, false],
    ["matchLabels matches a superset of labels", { matchLabels: { team: "a" } }, { team: "a", env: "dev" }, true],
    ["matchLabels is exact on value", { matchLabels: { team: "a" } }, { team: "ab" }, false],
    ["In matches a listed value", { matchExpressions: [{ key: "team", operator: "In", values: ["a", "b"] }] }, { team: "b" }, true],
    ["In fails when the key is absent", { matchExpressions: [{ key: "team", operator: "In", values: ["a"] }] }, {}, false],
    ["NotIn matches when the key is absent", { matchExpressions: [{ key: "team", operator: "NotIn", values: ["a"] }] }, {}, true],
    ["NotIn fails on a listed value", { matchExpressions: [{ key: "team", operator: "NotIn", values: ["a"] }] }, { team: "a" }, false],
    ["NotIn matches another value", { matchExpressions: [{ key: "team", operator: "NotIn", values: ["a"] }] }, { team: "c" }, true],
    ["Exists matches an empty value", { matchExpressions: [{ key: "team", operator: "Exists" }] }, { team: "" }, true],
    ["Exists fails when absent", { matchExpressions: [{ key: "team", operator: "Exists" }] }, {}, false],
    ["DoesNotExist matches when absent", { matchExpressions: [{ key: "team", operator: "DoesNotExist" }] }, { env: "x" }, true],
    ["DoesNotExist fails when present", { matchExpressions: [{ key: "team", operator: "DoesNotExist" }] }, { team: "a" }, false],
    [
      "matchLabels and matchExpressions are ANDed",
      { matchLabels: { env: "dev" }, matchExpressions: [{ key: "team", operator: "Exists" }] },
      { env: "dev" },
      false,
    ],
  ])("%s", (_name, selector, labels, expected) => {
    expect(matchesSelector(selector, labels)).toBe(expected);
  });
});

describe("isEmptySelector", () => {
  it.each<[string, LabelSelector | undefined, boolean]>([
    ["undefined is not empty (it selects nothing)", undefined, false],
    ["{} is empty", {}, true],
    ["empty lists are empty", { matchLabels: {}, matchExpressions: [] }, true],
    ["a label makes it non-empty", { matchLabels: { a: "b" } }, false],
  ])("%s", (_name, selector, expected) => {
    expect(isEmptySelector(selector)).toBe(expected);
  });
});
