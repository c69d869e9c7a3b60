import { describe, expect, it } from "@jest/globals";
import { formatIssues, formatPath, parseProfile } from "../../../src/api/parse.js";
import type { Issue } from "../../../src/api/types.js";
import { INVALID_PROFILES } from "./invalid-profiles.js";

const profile = (spec: unknown, name = "p"): unknown => ({ apiVersion: "netfence.io/v1alpha1", kind: "IsolationProfile", metadata: { name }, spec });

function issuesOf(obj: unknown): Issue[] {
  const result = parseProfile(obj);
  return result.ok ? [] : result.issues;
}

describe("parseProfile rejects", () => {
  it("at least 30 invalid profiles", () => {
    expect(INVALID_PROFILES.length).toBeGreaterThanOrEqual(30);
  });

  it.each(INVALID_PROFILES.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const issues = issuesOf(profile(c.spec));
    expect(issues).not.toHaveLength(0);
    const named = issues.filter((i) => i.path === c.path || i.path.startsWith(`${c.path}.`) || i.path.startsWith(`${c.path}[`));
    expect(named).not.toHaveLength(0);
    if (c.message !== undefined) expect(named.map((i) => i.message).join("\n")).toContain(c.message);
  });

  it.each([
    ["another apiVersion", { ...(profile({ preset: "deny-all", namespaces: { names: ["dev"] } }) as object), apiVersion: "netfence.io/v1" }, "apiVersion"],
    ["another kind", { ...(profile({ preset: "deny-all", namespaces: { names: ["dev"] } }) as object), kind: "NetworkPolicy" }, "kind"],
    ["a name that is not a DNS subdomain", profile({ preset: "deny-all", namespaces: { names: ["dev"] } }, "Bad_Name"), "metadata.name"],
    ["a missing spec", { apiVersion: "netfence.io/v1alpha1", kind: "IsolationProfile", metadata: { name: "p" } }, "spec"],
    ["something that is not an object", "deny-all", ""],
  ])("%s", (_name, obj, path) => {
    expect(issuesOf(obj).map((i) => i.path)).toContain(path);
  });
});

describe("parseProfile accepts and defaults", () => {
  it("fills every default of a minimal profile", () => {
    const result = parseProfile(profile({ preset: "deny-ingress", namespaces: { names: ["dev"] } }));
    expect(result).toEqual({
      ok: true,
      value: {
        apiVersion: "netfence.io/v1alpha1",
        kind: "IsolationProfile",
        metadata: { name: "p" },
        spec: {
          preset: "deny-ingress",
          namespaces: { names: ["dev"], exclude: [], includeSystem: false },
          podSelector: {},
          allowedPeers: [],
          ports: [],
          egress: [],
          allowDNS: true,
          mode: "Enforce",
          deletionPolicy: "Delete",
          enforcement: "Auto",
          priority: 100,
        },
      },
    });
  });

  it.each<[string, Record<string, unknown>]>([
    ["a selector alone", { preset: "deny-all", namespaces: { selector: { matchLabels: { env: "dev" } } } }],
    ["an empty selector (every namespace)", { preset: "deny-all", namespaces: { selector: {} } }],
    ["globs in names and exclude", { preset: "deny-all", namespaces: { names: ["team-*", "a?c"], exclude: ["*-sandbox"] } }],
    ["an IPv6 block with an exception", { preset: "allow-by-label", namespaces: { names: ["dev"] }, allowedPeers: [{ ipBlock: { cidr: "fd00::/48", except: ["fd00::/64"] } }] }],
    ["a named port and a port range", { preset: "deny-ingress", namespaces: { names: ["dev"] }, ports: [{ port: "http" }, { port: 8000, endPort: 8100, protocol: "UDP" }] }],
    ["egress allowances under deny-egress", { preset: "deny-egress", namespaces: { names: ["dev"] }, egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }] }],
    ["a qualified label key", { preset: "deny-all", namespaces: { names: ["dev"] }, podSelector: { matchLabels: { "example.com/team": "a", "k8s-app": "" } } }],
    ["a peer with both selectors", { preset: "allow-by-label", namespaces: { names: ["dev"] }, allowedPeers: [{ podSelector: {}, namespaceSelector: { matchLabels: { team: "a" } } }] }],
  ])("%s", (_name, spec) => {
    expect(issuesOf(profile(spec))).toEqual([]);
  });

  it("keeps metadata (uid, labels) for the renderer and the controller", () => {
    const result = parseProfile({
      apiVersion: "netfence.io/v1alpha1",
      kind: "IsolationProfile",
      metadata: { name: "p", uid: "u-1", generation: 3, labels: { a: "b" } },
      spec: { preset: "deny-all", namespaces: { names: ["dev"] } },
      status: { observedGeneration: 2 },
    });
    expect(result.ok && result.value.metadata).toEqual({ name: "p", uid: "u-1", generation: 3, labels: { a: "b" } });
    expect(result.ok && result.value.status).toEqual({ observedGeneration: 2 });
  });
});

describe("formatPath", () => {
  it.each<[string, PropertyKey[], string]>([
    ["fields join with dots", ["spec", "namespaces", "names"], "spec.namespaces.names"],
    ["indexes use brackets", ["spec", "allowedPeers", 1, "ipBlock", "except", 0], "spec.allowedPeers[1].ipBlock.except[0]"],
    ["keys that are not identifiers are quoted", ["spec", "podSelector", "matchLabels", "k8s-app"], 'spec.podSelector.matchLabels["k8s-app"]'],
  ])("%s", (_name, path, expected) => {
    expect(formatPath(path)).toBe(expected);
  });
});

describe("formatIssues", () => {
  it("prints one issue per line as path: message", () => {
    expect(
      formatIssues([
        { path: "spec.preset", message: "Required value" },
        { path: "spec.allowedPeers[1].ipBlock.except[0]", message: "10.9.0.0/24 is not inside 10.3.0.0/16" },
      ]),
    ).toBe("spec.preset: Required value\nspec.allowedPeers[1].ipBlock.except[0]: 10.9.0.0/24 is not inside 10.3.0.0/16");
  });
});
