import { describe, expect, it } from "@jest/globals";
import type { NetworkPolicySpec } from "../../../src/k8s/objects.js";
import { specHash } from "../../../src/policy/hash.js";
import { deepFreeze } from "../../../src/lib/freeze.js";

const base: NetworkPolicySpec = {
  podSelector: { matchLabels: { app: "a", tier: "web" } },
  policyTypes: ["Ingress"],
  ingress: [{ from: [{ podSelector: { matchLabels: { x: "1" } } }, { ipBlock: { cidr: "10.0.0.0/8" } }], ports: [{ port: 80 }] }],
};

describe("specHash", () => {
  it.each<[string, NetworkPolicySpec, boolean]>([
    ["the same spec hashes the same", structuredClone(base), true],
    ["key order does not matter", { ...base, podSelector: { matchLabels: { tier: "web", app: "a" } } }, true],
    ["peer order inside a rule does not matter", { ...base, ingress: [{ from: [...(base.ingress?.[0]?.from ?? [])].reverse(), ports: [{ port: 80 }] }] }, true],
    ["an explicit TCP equals the API default", { ...base, ingress: [{ ...base.ingress?.[0], ports: [{ port: 80, protocol: "TCP" }] }] }, true],
    ["implicit policyTypes equal the API default", { podSelector: base.podSelector, ingress: base.ingress }, true],
    ["another port hashes differently", { ...base, ingress: [{ ...base.ingress?.[0], ports: [{ port: 81 }] }] }, false],
    ["another policy type hashes differently", { ...base, policyTypes: ["Ingress", "Egress"] }, false],
  ])("%s", (_name, spec, same) => {
    expect(specHash(spec) === specHash(base)).toBe(same);
  });

  it("hashes a frozen spec like its unfrozen copy, and an edited unfrozen spec anew", () => {
    const frozen = deepFreeze(structuredClone(base));
    expect(specHash(frozen)).toBe(specHash(base));
    const edited = structuredClone(base);
    const before = specHash(edited);
    edited.policyTypes = ["Egress"];
    expect(specHash(edited)).not.toBe(before);
  });

  it("is 16 hex digits", () => {
    expect(specHash(base)).toMatch(/^[0-9a-f]{16}$/);
  });
});
