import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "@jest/globals";
import { parse, stringify } from "yaml";
import { isolationProfileCrd } from "../../../src/api/crd.js";
import { parseProfile, formatIssues } from "../../../src/api/parse.js";
import { readManifests } from "../../../src/io/manifests.js";

const CRD_FILE = "crds/isolationprofiles.netfence.io.yaml";
const HEADER =
  "# Generated from src/api/crd.ts (limits, patterns and CEL rules shared with src/api/parse.ts).\n" +
  "# Do not edit by hand: change crd.ts, then run\n" +
  "#   UPDATE_CRD=1 NODE_OPTIONS=--experimental-vm-modules npx jest --selectProjects unit test/unit/api/crd.test.ts\n";

function rendered(): string {
  return HEADER + stringify(isolationProfileCrd(), { lineWidth: 0 });
}

describe("the CRD file", () => {
  it("is what src/api/crd.ts generates", () => {
    if (process.env.UPDATE_CRD === "1") writeFileSync(CRD_FILE, rendered());
    expect(readFileSync(CRD_FILE, "utf8")).toBe(rendered());
  });

  it("bounds every list and string of the spec (what keeps CEL within its cost budget)", () => {
    const unbounded: string[] = [];
    const walk = (schema: Record<string, unknown>, path: string): void => {
      if (schema.type === "array" && schema.maxItems === undefined) unbounded.push(path);
      if (schema.type === "string" && schema.maxLength === undefined && schema.enum === undefined) unbounded.push(path);
      if (schema.type === "object" && schema.additionalProperties !== undefined && schema.maxProperties === undefined) unbounded.push(path);
      for (const [key, child] of Object.entries((schema.properties ?? {}) as Record<string, Record<string, unknown>>)) walk(child, `${path}.${key}`);
      if (schema.items) walk(schema.items as Record<string, unknown>, `${path}[]`);
      if (typeof schema.additionalProperties === "object") walk(schema.additionalProperties as Record<string, unknown>, `${path}{}`);
    };
    const crd = parse(readFileSync(CRD_FILE, "utf8")) as { spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: Record<string, unknown> } } } }[] } };
    walk(crd.spec.versions[0]!.schema.openAPIV3Schema.properties.spec, "spec");
    expect(unbounded).toEqual([]);
  });
});

describe("every sample in deploy/samples", () => {
  it("is a valid IsolationProfile", async () => {
    const objects = await readManifests(["deploy/samples"]);
    expect(objects.length).toBeGreaterThanOrEqual(8);
    const problems = objects.flatMap((obj) => {
      const result = parseProfile(obj);
      return result.ok ? [] : [`${obj.__source ?? "?"}:\n${formatIssues(result.issues)}`];
    });
    expect(problems).toEqual([]);
  });
});
