import { describe, expect, it } from "@jest/globals";
import { NAMESPACE_STATES } from "../../../src/api/constants.js";
import { isolationProfileCrd } from "../../../src/api/crd.js";
import type { Condition, NamespaceStatus } from "../../../src/api/types.js";
import { chooseEnforcement, UNVERIFIED, type DataPlane, type PolicyKind } from "../../../src/policy/enforcement.js";
import { boundNamespaces, computeStatus, invalidSpecStatus, sameJson, setCondition, type ReconcileOutcome } from "../../../src/policy/status.js";

const T0 = "2026-01-01T00:00:00Z";
const T1 = "2026-01-01T00:05:00Z";
const ready = (status: Condition["status"], reason = "Reconciled"): Condition => ({ type: "Ready", status, reason, message: "m", lastTransitionTime: T0 });

describe("setCondition", () => {
  it.each<[string, Condition[], Condition["status"], string]>([
    ["a new condition takes the current time", [], "True", T1],
    ["the same status keeps its transition time", [ready("True")], "True", T0],
    ["a flipped status takes the current time", [ready("True")], "False", T1],
    ["Unknown to True is a flip", [ready("Unknown")], "True", T1],
  ])("%s", (_name, list, status, expected) => {
    const next = setCondition(list, { type: "Ready", status, reason: "Reconciled", message: "x" }, T1);
    expect(next.find((c) => c.type === "Ready")?.lastTransitionTime).toBe(expected);
  });

  it("replaces the condition of the same type and keeps the others", () => {
    const degraded: Condition = { type: "Degraded", status: "False", reason: "Reconciled", message: "", lastTransitionTime: T0 };
    const next = setCondition([ready("True"), degraded], { type: "Ready", status: "False", reason: "Conflict", message: "x" }, T1);
    expect(next.map((c) => `${c.type}=${c.status}`)).toEqual(["Degraded=False", "Ready=False"]);
  });
});

const ns = (name: string, state: NamespaceStatus["state"]): NamespaceStatus => ({ name, state, policy: "netfence-p" });
const outcome = (namespaces: NamespaceStatus[], extra: Partial<ReconcileOutcome> = {}): ReconcileOutcome => ({ generation: 3, mode: "Enforce", namespaces, isolatedPods: 7, ...extra });
const cond = (s: ReturnType<typeof computeStatus>, type: string) => s.conditions?.find((c) => c.type === type);

describe("computeStatus", () => {
  it.each<[string, ReconcileOutcome, string, string, string, string]>([
    ["every namespace isolated: Ready, not Degraded", outcome([ns("a", "Isolated"), ns("b", "Isolated")]), "True", "Reconciled", "False", "Reconciled"],
    ["a conflict: not Ready, Degraded Conflict", outcome([ns("a", "Isolated"), ns("b", "Conflict")]), "False", "Conflict", "True", "Conflict"],
    ["a failure outranks a conflict", outcome([ns("a", "Failed"), ns("b", "Conflict")]), "False", "ApplyFailed", "True", "ApplyFailed"],
    ["a retryable failure is Pending, not Degraded", outcome([ns("a", "Pending")]), "False", "Pending", "False", "Reconciled"],
    ["DryRun is never Ready", outcome([ns("a", "DryRun")], { mode: "DryRun" }), "False", "DryRun", "False", "Reconciled"],
    ["nothing selected yet is Ready", outcome([]), "True", "NoNamespacesSelected", "False", "Reconciled"],
    [
      "only system namespaces selected is Degraded",
      outcome([], { emptySelectionReason: { reason: "OnlySystemNamespaces", message: "m" } }),
      "True",
      "NoNamespacesSelected",
      "True",
      "OnlySystemNamespaces",
    ],
  ])("%s", (_name, out, readyStatus, readyReason, degradedStatus, degradedReason) => {
    const s = computeStatus(undefined, out, T1);
    expect(cond(s, "Ready")).toMatchObject({ status: readyStatus, reason: readyReason, observedGeneration: 3 });
    expect(cond(s, "Degraded")).toMatchObject({ status: degradedStatus, reason: degradedReason, observedGeneration: 3 });
  });

  it("counts selected and isolated namespaces and carries the pod count", () => {
    const s = computeStatus(undefined, outcome([ns("a", "Isolated"), ns("b", "Conflict"), ns("c", "Isolated")]), T1);
    expect(s).toMatchObject({ observedGeneration: 3, selectedNamespaces: 3, isolatedNamespaces: 2, isolatedPods: 7 });
    expect(s.namespaces?.map((n) => n.name)).toEqual(["b", "a", "c"]);
  });

  it("is identical when recomputed from its own result (no status write in a steady state)", () => {
    const first = computeStatus(undefined, outcome([ns("a", "Isolated")]), T0);
    const second = computeStatus(first, outcome([ns("a", "Isolated")]), T1);
    expect(sameJson(first, second)).toBe(true);
  });

  it("an invalid spec keeps the counts and flips both conditions", () => {
    const before = computeStatus(undefined, outcome([ns("a", "Isolated")]), T0);
    const s = invalidSpecStatus(before, 4, "spec.preset: must be one of …", T1);
    expect(s).toMatchObject({ observedGeneration: 4, selectedNamespaces: 1 });
    expect(cond(s, "Ready")).toMatchObject({ status: "False", reason: "InvalidSpec", lastTransitionTime: T1 });
    expect(cond(s, "Degraded")).toMatchObject({ status: "True", reason: "InvalidSpec" });
  });
});

describe("boundNamespaces", () => {
  it("puts problems first and counts what it leaves out", () => {
    const entries = [ns("z", "Isolated"), ns("y", "Pending"), ns("x", "Failed"), ns("w", "Conflict"), ns("v", "Isolated")];
    expect(boundNamespaces(entries, 3)).toEqual({ namespaces: [ns("x", "Failed"), ns("w", "Conflict"), ns("y", "Pending")], omitted: 2 });
  });

  it.each<[string, NamespaceStatus[], string[]]>([
    ["isolated namespaces in name order fill the room after the problems", [ns("a", "Isolated"), ns("b", "Isolated"), ns("c", "Failed"), ns("d", "Isolated")], ["c", "a", "b"]],
    ["isolated namespaces out of order are sorted first", [ns("d", "Isolated"), ns("b", "Isolated"), ns("a", "Isolated"), ns("c", "Isolated")], ["a", "b", "c"]],
    ["names compare by code unit, as kubectl sorts them", [ns("a1", "Isolated"), ns("a-2", "Isolated"), ns("a10", "Isolated")], ["a-2", "a1", "a10"]],
    ["more problems than room leaves no isolated one", [ns("a", "Isolated"), ns("b", "Pending"), ns("c", "Conflict"), ns("d", "Failed")], ["d", "c", "b"]],
  ])("%s", (_name, entries, names) => {
    expect(boundNamespaces(entries, 3).namespaces.map((e) => e.name)).toEqual(names);
  });

  it("keeps everything under the bound", () => {
    expect(boundNamespaces([ns("a", "Isolated")]).omitted).toBe(0);
  });

  it.each<[string, number | undefined, number, number]>([
    ["--status-namespaces 2 lists two, problems first", 2, 2, 3],
    ["no limit given lists up to the CRD's 100", undefined, 5, 0],
  ])("computeStatus: %s; the counts cover every namespace", (_name, listed, shown, omitted) => {
    const entries = [ns("a", "Isolated"), ns("b", "Bypassed"), ns("c", "Isolated"), ns("d", "Failed"), ns("e", "Isolated")];
    const status = computeStatus(undefined, outcome(entries, { listed }), T1);
    expect(status.namespaces?.length).toBe(shown);
    expect(status.namespacesOmitted ?? 0).toBe(omitted);
    if (listed === 2) expect(status.namespaces?.map((e) => e.name)).toEqual(["d", "b"]);
    expect(status).toMatchObject({ selectedNamespaces: 5, isolatedNamespaces: 3, bypassedNamespaces: 1 });
  });
});

describe("sameJson", () => {
  it.each<[string, unknown, unknown, boolean]>([
    ["key order does not matter", { a: 1, b: 2 }, { b: 2, a: 1 }, true],
    ["undefined fields do not matter", { a: 1, b: undefined }, { a: 1 }, true],
    ["list order matters", [1, 2], [2, 1], false],
    ["nested values are compared", { a: { b: [1] } }, { a: { b: [2] } }, false],
  ])("%s", (_name, a, b, expected) => {
    expect(sameJson(a, b)).toBe(expected);
  });
});

describe("computeStatus: bounded whatever tenants write", () => {
  it("100 namespaces with every bypassedBy item at its longest stay well under the 1.5 MiB object limit", () => {
    const item = "x".repeat(10_000);
    const entries = Array.from({ length: 100 }, (_, i): NamespaceStatus => ({ name: `ns-${String(i)}`, state: "Bypassed", policy: "netfence-p", message: "m".repeat(5000), bypassedBy: Array.from({ length: 50 }, () => item) }));
    const status = computeStatus(undefined, outcome(entries), T0);
    const size = Buffer.byteLength(JSON.stringify(status));
    expect(size).toBeLessThan(600 * 1024);
    for (const e of status.namespaces ?? []) {
      expect(e.bypassedBy?.length ?? 0).toBeLessThanOrEqual(8);
      for (const b of e.bypassedBy ?? []) expect(b.length).toBeLessThanOrEqual(1024);
      expect(e.message?.length ?? 0).toBeLessThanOrEqual(1024);
    }
  });
});

describe("Isolated as the data plane leaves it: never in force where nothing enforces the profile", () => {
  const plane = (evidence: "declared" | "detected" | "unverified", enforces: PolicyKind[]): DataPlane => ({ name: evidence === "unverified" ? "unknown" : "flannel", enforces, evidence, source: "test" });
  const withPlane = (p: DataPlane) => outcome([ns("a", "Isolated")], { enforcement: { choice: chooseEnforcement("NetworkPolicy", [], p), notes: [] } });
  it.each<[string, DataPlane, string, string, RegExp]>([
    ["declared to enforce NetworkPolicy", plane("declared", ["NetworkPolicy"]), "True", "Isolated", /^nothing beyond the profile reaches/],
    ["declared to enforce nothing (flannel alone)", plane("declared", []), "False", "NotEnforced", /in place in 1 selected namespace, but the data plane flannel \(declared\) does not enforce NetworkPolicy/],
    ["unverified: in place, and the message says the data plane is unverified", UNVERIFIED, "True", "Isolated", /; whether a data plane enforces NetworkPolicy is unverified \(see the Enforced condition\)$/],
  ])("%s", (_name, p, status, reason, message) => {
    const isolated = cond(computeStatus(undefined, withPlane(p), T1), "Isolated");
    expect({ status: isolated?.status, reason: isolated?.reason }).toEqual({ status, reason });
    expect(isolated?.message).toMatch(message);
  });

  it("an Admin-tier kind enforced without NetworkPolicy: isolated in the cluster, and the message says what is not", () => {
    const p = plane("declared", ["AdminNetworkPolicy"]);
    const choice = chooseEnforcement("Auto", ["AdminNetworkPolicy/v1alpha1"], p);
    const isolated = cond(computeStatus(undefined, outcome([ns("a", "Isolated")], { enforcement: { choice, notes: [] } }), T1), "Isolated");
    expect({ enforced: choice.enforced.status, status: isolated?.status, reason: isolated?.reason }).toEqual({ enforced: "False", status: "True", reason: "Isolated" });
    expect(isolated?.message).toMatch(/; the data plane does not enforce NetworkPolicy, so ingress from outside the cluster is not isolated \(see the Enforced condition\)$/);
  });
});

describe("the CRD describes what status writes", () => {
  type Schema = { description?: string; properties?: Record<string, Schema>; items?: Schema };
  const statusSchema = (): Schema => {
    const crd = isolationProfileCrd() as { spec: { versions: { schema: { openAPIV3Schema: Schema } }[] } };
    return crd.spec.versions[0]?.schema.openAPIV3Schema.properties?.status ?? {};
  };

  it("every condition type computeStatus sets is named in the conditions' type description", () => {
    const choice = chooseEnforcement("NetworkPolicy", [], UNVERIFIED);
    const types = new Set(computeStatus(undefined, outcome([ns("a", "Isolated")], { enforcement: { choice, notes: [] } }), T1).conditions?.map((c) => c.type));
    const described = statusSchema().properties?.conditions?.items?.properties?.type?.description ?? "";
    expect([...types].filter((t) => !new RegExp(`\\b${t}\\b`).test(described))).toEqual([]);
    expect(types.size).toBe(4);
  });

  it("every namespace state is described", () => {
    const described = statusSchema().properties?.namespaces?.items?.properties?.state?.description ?? "";
    expect(NAMESPACE_STATES.filter((state) => !new RegExp(`\\b${state}\\b[,:]`).test(described))).toEqual([]);
  });
});
