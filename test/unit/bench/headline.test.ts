import { readFileSync } from "node:fs";
import { describe, expect, it } from "@jest/globals";
import { HEADLINE } from "../../../bench/lib/report.js";

describe("the bench's combined JSON line", () => {
  it("starts with the keys README lists, in that order", () => {
    const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
    const at = readme.indexOf("ends with one combined JSON line whose first keys are");
    expect(at).toBeGreaterThan(-1);
    const listed = /`([a-z0-9_,\s]+)`/.exec(readme.slice(at))?.[1] ?? "";
    expect(listed.split(",").map((k) => k.trim())).toEqual([...HEADLINE]);
  });
});
