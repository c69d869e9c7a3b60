import { describe, expect, it } from "@jest/globals";
import { parseProfile } from "../../../src/api/parse.js";
import type { ParsedProfile } from "../../../src/api/types.js";
import { PassMemo } from "../../../src/controller/memo.js";
import type { Namespace, NetworkPolicy } from "../../../src/k8s/objects.js";
import { planChanges, type Plan } from "../../../src/policy/plan.js";
import { renderProfile } from "../../../src/policy/render.js";

function parsed(spec: Record<string, unknown>): ParsedProfile {
  const result = parseProfile({ apiVersion: "netfence.io/v1alpha1", kind: "IsolationProfile", metadata: { name: "p", uid: "u1", generation: 1 }, spec });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value;
}
const ns = (name: string): Namespace => ({ metadata: { name, labels: { "kubernetes.io/metadata.name": name } } });
/** What the API server would hold after applying `p`: the same object with a resourceVersion. */
const stored = (p: NetworkPolicy, resourceVersion: string): NetworkPolicy => ({ ...p, metadata: { ...p.metadata, resourceVersion } });
const summary = (plan: Plan) => ({
  apply: plan.apply.map((a) => `${a.action} ${a.policy.metadata.namespace ?? ""}`).sort(),
  unchanged: plan.unchanged.map((p) => p.metadata.namespace ?? "").sort(),
  delete: plan.delete.map((p) => p.metadata.namespace ?? "").sort(),
});

const profile = parsed({ preset: "deny-all", namespaces: { names: ["a", "b", "c"] } });
const active = [ns("a"), ns("b"), ns("c")];

describe("PassMemo", () => {
  it("renders what renderProfile renders", () => {
    const memo = new PassMemo();
    expect(memo.render("p", "u1/1", profile, active, {})).toEqual(renderProfile(profile, active, {}));
    expect(memo.render("p", "u1/1", profile, active.slice(0, 2), {})).toEqual(renderProfile(profile, active.slice(0, 2), {}));
  });

  it("plans what planChanges plans, pass after pass", () => {
    const memo = new PassMemo();
    const desired = memo.render("p", "u1/1", profile, active, {});
    const owned = desired.slice(0, 2).map((p, i) => stored(p, String(10 + i)));
    expect(summary(memo.plan("p", { name: "p" }, "u1/1", desired, owned))).toEqual(summary(planChanges("p", desired, owned)));
    // Second pass, nothing changed: the verified policies stay unchanged.
    expect(summary(memo.plan("p", { name: "p" }, "u1/1", desired, owned))).toEqual({ apply: ["create c"], unchanged: ["a", "b"], delete: [] });
  });

  it("plans a policy again when its resourceVersion moves (a hand edit is still drift)", () => {
    const memo = new PassMemo();
    const desired = memo.render("p", "u1/1", profile, active, {});
    const owned = desired.map((p, i) => stored(p, String(10 + i)));
    memo.plan("p", { name: "p" }, "u1/1", desired, owned);
    const edited = owned.map((p) => (p.metadata.namespace === "b" ? { ...stored(p, "99"), spec: { ...p.spec, policyTypes: ["Ingress" as const] } } : p));
    expect(summary(memo.plan("p", { name: "p" }, "u1/1", desired, edited))).toEqual({ apply: ["update b"], unchanged: ["a", "c"], delete: [] });
  });

  it("plans a policy labelled for the profile under another name as planChanges does: not the profile's, left alone", () => {
    const memo = new PassMemo();
    const desired = memo.render("p", "u1/1", profile, active, {});
    const renamed = desired.map((p, i) => stored({ ...p, metadata: { ...p.metadata, name: "netfence-old-name" } }, String(10 + i)));
    const owned = [...desired.map((p, i) => stored(p, String(20 + i))), ...renamed];
    memo.plan("p", { name: "p" }, "u1/1", desired, owned);
    expect(summary(memo.plan("p", { name: "p" }, "u1/1", desired, owned))).toEqual(summary(planChanges("p", desired, owned)));
    expect(summary(memo.plan("p", { name: "p" }, "u1/1", desired, owned)).delete).toEqual([]);
  });

  it("starts over for a new generation", () => {
    const memo = new PassMemo();
    const before = memo.render("p", "u1/1", profile, active, {});
    const ingressOnly = parsed({ preset: "deny-ingress", namespaces: { names: ["a", "b", "c"] } });
    const after = memo.render("p", "u1/2", ingressOnly, active, {});
    expect(after).toEqual(renderProfile(ingressOnly, active, {}));
    expect(after).not.toEqual(before);
  });
});
