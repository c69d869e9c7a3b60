import { describe, expect, it } from "@jest/globals";
import { z } from "zod";
import { labelSelectorSchema, networkPolicyPortSchema } from "../../../src/k8s/schemas.js";

const selector = (strict: boolean) =>
  labelSelectorSchema({
    strict,
    matchLabels: z.record(z.string(), z.string()),
    key: z.string().min(1),
    value: z.string(),
    maxValues: 2,
    valuesRequired: (op) => `${op} needs values`,
    valuesForbidden: (op) => `${op} takes no values`,
  });

const port = networkPolicyPortSchema({
  strict: true,
  port: z.union([z.int(), z.string()]),
  endPortNeedsNumber: "needs a number",
  endPortBelowPort: (p) => `below ${String(p)}`,
});

function problems(schema: z.ZodType, value: unknown): string[] {
  const result = schema.safeParse(value);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("the LabelSelector schema", () => {
  it.each<[string, unknown, string[]]>([
    ["an empty selector is valid", {}, []],
    ["In without values names the values and the dialect's message", { matchExpressions: [{ key: "a", operator: "In" }] }, ["matchExpressions.0.values: In needs values"]],
    ["Exists with values is refused", { matchExpressions: [{ key: "a", operator: "Exists", values: ["x"] }] }, ["matchExpressions.0.values: Exists takes no values"]],
    ["the dialect's bound on values holds", { matchExpressions: [{ key: "a", operator: "In", values: ["x", "y", "z"] }] }, ["matchExpressions.0.values: Too big: expected array to have <=2 items"]],
  ])("%s", (_name, value, expected) => {
    expect(problems(selector(true), value)).toEqual(expected);
  });

  it("rejects unknown fields when strict and drops them otherwise", () => {
    expect(problems(selector(true), { matchLabel: { a: "b" } })).toEqual([': Unrecognized key: "matchLabel"']);
    expect(selector(false).parse({ matchLabel: { a: "b" } })).toEqual({});
  });
});

describe("the NetworkPolicyPort schema", () => {
  it.each<[string, unknown, string[]]>([
    ["a port range", { port: 80, endPort: 90 }, []],
    ["endPort with a named port", { port: "http", endPort: 90 }, ["endPort: needs a number"]],
    ["endPort below the port", { port: 80, endPort: 79 }, ["endPort: below 80"]],
    ["a protocol outside TCP, UDP and SCTP", { protocol: "ICMP" }, ['protocol: Invalid option: expected one of "TCP"|"UDP"|"SCTP"']],
  ])("%s", (_name, value, expected) => {
    expect(problems(port, value)).toEqual(expected);
  });
});
