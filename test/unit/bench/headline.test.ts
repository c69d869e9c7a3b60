import { readFileSync } from "node:fs";
import { describe, expect, it } from "@jest/globals";
import { HEADLINE } from "../../../bench/lib/report.js";

describe("the bench's combined JSON line", () => {
  it("starts with the keys docs/benchmarks.md lists, in that order", () => {
    const benchmarks = readFileSync(new URL("../../../docs/benchmarks.md", import.meta.url), "utf8");
    const at = benchmarks.indexOf("ends with one combined JSON line whose first keys are");
    expect(at).toBeGreaterThan(-1);
    const listed = /`([a-z0-9_,\s]+)`/.exec(benchmarks.slice(at))?.[1] ?? "";
    expect(listed.split(",").map((k) => k.trim())).toEqual([...HEADLINE]);
  });
});
