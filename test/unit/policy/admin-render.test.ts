/**
 * The Admin-tier render. The oracle for "what traffic flows" is netfence's
 * own evaluator (src/policy/reachability.ts + tiers.ts), which reads the
 * rendered objects as an implementation would; the API server's admission of
 * the same renders is test/integration/admin-render.test.ts.
 */
import { describe, expect, it } from "@jest/globals";
import type { ParsedProfile } from "../../../src/api/types.js";
import type { Namespace, NetworkPolicy } from "../../../src/k8s/objects.js";
import { ADMIN_KINDS, ADMIN_LIMITS, renderAdminTier, type AdminKind, type AdminTierObject } from "../../../src/policy/admin-render.js";
import { buildIndex, matrix, matrixCells, type ClusterState, type Traffic } from "../../../src/policy/reachability.js";
import { describeTraffic } from "../../../src/policy/ports.js";
import { renderProfile } from "../../../src/policy/render.js";
import { parseTierPolicy } from "../../../src/policy/tiers-parse.js";
import { ADMIN_CASES, adminWorld, parsedProfile } from "./admin-model.js";

const TRAFFIC: Traffic[] = [
  { protocol: "TCP", port: 80 },
  { protocol: "TCP", port: 81 },
  { protocol: "UDP", port: 81 },
  { protocol: "UDP", port: 53 },
  { protocol: "TCP", port: 8050 },
  { protocol: "ICMP" },
];
const EXTERNALS = ["192.0.2.10", "198.51.100.7"];
const WORLD = adminWorld();
const OPERATOR = { operatorNamespace: "netfence-system" };

function admin(profile: ParsedProfile, kind: AdminKind = "ClusterNetworkPolicy/v1beta1", namespaces: readonly Namespace[] = WORLD.namespaces): { object: AdminTierObject; residual: NetworkPolicy[]; notes: string[] } {
  const out = renderAdminTier(profile, namespaces, kind, OPERATOR);
  if (!out.ok) throw new Error(JSON.stringify(out.issues));
  if (!out.object) throw new Error("no object");
  return { object: out.object, residual: out.residual, notes: out.notes };
}

/** Every pair for every probe: "TCP/80 x/a → y/b: true". */
function grid(cluster: ClusterState, inCluster = false): string[] {
  const index = buildIndex(cluster);
  expect(index.tiers.warnings).toEqual([]);
  return TRAFFIC.flatMap((traffic) =>
    matrixCells(matrix(index, traffic, { externals: inCluster ? [] : EXTERNALS })).map((c) => `${describeTraffic(traffic)} ${c.from} → ${c.to}: ${String(c.allowed)}`),
  );
}

/** `podSelector: {}`, every ingress and egress: what a tenant may write in its namespace. */
function tenantAllowAll(namespace: string): NetworkPolicy {
  return { metadata: { name: "allow-all", namespace }, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [{}], egress: [{}] } };
}

function withPolicies(policies: readonly NetworkPolicy[], tierPolicies: readonly unknown[] = []): ClusterState {
  return { ...WORLD, policies, tierPolicies };
}

/** A render whose notes say nothing is passed beyond the profile: every in-cluster bit is the Admin tier's. */
const exact = (notes: readonly string[]): boolean => notes.every((n) => !n.startsWith("ingress") && !n.startsWith("egress") && !n.startsWith("port"));

const cases = ADMIN_CASES.map((c) => [c.name, c.spec] as const);

describe("the Admin object plus the residual NetworkPolicies admit exactly what the NetworkPolicies alone admit", () => {
  it.each(cases)("%s", (_name, spec) => {
    const profile = parsedProfile(spec);
    const { object, residual } = admin(profile);
    expect(residual).toEqual(renderProfile(profile, WORLD.namespaces, OPERATOR));
    expect(grid(withPolicies(residual, [object]))).toEqual(grid(withPolicies(residual)));
  });
});

describe("a tenant's allow-all NetworkPolicy in every selected namespace", () => {
  it.each(cases)("changes no in-cluster pair the Admin tier judges exactly, and reopens NetworkPolicy-only: %s", (_name, spec) => {
    const profile = parsedProfile(spec);
    const { object, residual, notes } = admin(profile);
    const tenants = residual.map((p) => tenantAllowAll(p.metadata.namespace ?? ""));
    const before = grid(withPolicies(residual, [object]), true);
    const after = grid(withPolicies([...residual, ...tenants], [object]), true);
    const npOnly = grid(withPolicies([...residual, ...tenants]), true);
    // NetworkPolicy-only: the tenant widens what the profile closed.
    expect(npOnly).not.toEqual(grid(withPolicies(residual), true));
    if (exact(notes)) expect(after).toEqual(before);
    // Never wider than what the Admin tier passes: a pair denied with the tenant's policy was denied without it, or is passed surplus the notes name.
    else expect(before.filter((b) => b.endsWith("true")).every((b) => after.includes(b))).toBe(true);
  });

  it("judges most cases exactly (the equality above is not vacuous)", () => {
    const exactCases = ADMIN_CASES.filter((c) => exact(admin(parsedProfile(c.spec)).notes)).length;
    expect(exactCases).toBeGreaterThanOrEqual(ADMIN_CASES.length / 2);
  });

  it("names what is not tenant-proof: same-namespace peers among several namespaces pass between them", () => {
    const profile = parsedProfile({ preset: "allow-same-namespace", namespaces: { selector: { matchLabels: { team: "a" } } } });
    const { object, residual, notes } = admin(profile);
    const tenants = [tenantAllowAll("y")];
    const index = (tiers: unknown[]) => buildIndex(withPolicies([...residual, ...tenants], tiers));
    const allowed = (tiers: unknown[], from: string, to: string) =>
      matrixCells(matrix(index(tiers), { protocol: "TCP", port: 80 })).find((c) => c.from === from && c.to === to)?.allowed;
    expect({ xToY: allowed([object], "x/a", "y/a"), zToY: allowed([object], "z/a", "y/a"), zToYWithoutAdmin: allowed([], "z/a", "y/a") }).toEqual({ xToY: true, zToY: false, zToYWithoutAdmin: true });
    expect(notes).toEqual([
      'ingress from {"podSelector":{}} in the same namespace: passed between every namespace the profile selects, where the NetworkPolicies decide (tenant-proof against every other namespace)',
    ]);
  });

  it("leaves ingress from outside the cluster to the NetworkPolicy: the tenant reopens it, the Admin tier cannot say", () => {
    const profile = parsedProfile({ preset: "deny-all", namespaces: { names: ["x"] } });
    const { object, residual } = admin(profile);
    const cells = matrixCells(matrix(buildIndex(withPolicies([...residual, tenantAllowAll("x")], [object])), { protocol: "TCP", port: 80 }, { externals: EXTERNALS }));
    const at = (from: string, to: string) => cells.find((c) => c.from === from && c.to === to)?.allowed;
    expect({ fromOutside: at("192.0.2.10", "x/a"), toOutside: at("x/a", "192.0.2.10"), fromPod: at("y/a", "x/a") }).toEqual({ fromOutside: true, toOutside: false, fromPod: false });
  });
});

/** The rule table as the evaluator reads it, with the kind's own names left out. */
function readTable(object: AdminTierObject): unknown {
  const read = parseTierPolicy(object);
  if (!read) throw new Error("not a tier object");
  const rule = (r: (typeof read.ingress)[number]) => ({ name: r.name, action: r.action, peers: r.peers, ports: r.ports, problems: r.problems });
  return { tier: read.tier, priority: read.priority, subject: read.subject, problems: read.problems, ingress: read.ingress.map(rule), egress: read.egress.map(rule) };
}

describe("ClusterNetworkPolicy v1beta1 and v1alpha2 and AdminNetworkPolicy v1alpha1 renders of one profile", () => {
  it.each(cases)("are one rule table modulo spelling, and evaluate equal: %s", (_name, spec) => {
    const profile = parsedProfile(spec);
    const renders = ADMIN_KINDS.map((kind) => admin(profile, kind).object);
    const [v1beta1, ...others] = renders;
    if (!v1beta1) throw new Error("no render");
    for (const other of others) expect(readTable(other)).toEqual(readTable(v1beta1));
    const grids = renders.map((object) => grid(withPolicies(admin(profile).residual, [object])));
    expect(grids[1]).toEqual(grids[0]);
    expect(grids[2]).toEqual(grids[0]);
  });

  it("spell actions and ports each their own way", () => {
    const profile = parsedProfile({ preset: "allow-by-label", namespaces: { names: ["x"] }, allowedPeers: [{ podSelector: {} }], ports: [{ port: 80 }, { port: 8000, endPort: 8080, protocol: "UDP" }] });
    const spelled = ADMIN_KINDS.map((kind) => {
      const { object } = admin(profile, kind);
      const ingress = object.spec.ingress as Record<string, unknown>[];
      return { kind: `${object.kind} ${object.apiVersion}`, tier: object.spec.tier, first: ingress[0] };
    });
    expect(spelled).toEqual([
      { kind: "ClusterNetworkPolicy policy.networking.k8s.io/v1beta1", tier: "Admin", first: { name: "pass-allowed", action: "Pass", from: [{ namespaces: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: ["x"] }] } }], protocols: [{ tcp: { destinationPort: { number: 80 } } }, { udp: { destinationPort: { range: { start: 8000, end: 8080 } } } }] } },
      { kind: "ClusterNetworkPolicy policy.networking.k8s.io/v1alpha2", tier: "Admin", first: { name: "pass-allowed", action: "Pass", from: [{ namespaces: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: ["x"] }] } }], protocols: [{ tcp: { destinationPort: { number: 80 } } }, { udp: { destinationPort: { range: { start: 8000, end: 8080 } } } }] } },
      { kind: "AdminNetworkPolicy policy.networking.k8s.io/v1alpha1", tier: undefined, first: { name: "pass-allowed", action: "Pass", from: [{ namespaces: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: ["x"] }] } }], ports: [{ portNumber: { protocol: "TCP", port: 80 } }, { portRange: { protocol: "UDP", start: 8000, end: 8080 } }] } },
    ]);
  });
});

const IN = (values: string[]) => ({ matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values }] });
const SYSTEM_NOT_IN = { key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["kube-node-lease", "kube-public", "kube-system", "netfence-system"] };

describe("the subject", () => {
  it.each<[string, Record<string, unknown>, unknown, string[]]>([
    ["a label selector stays a selector (a new namespace is covered the moment it exists), system namespaces left out", { selector: { matchLabels: { team: "a" } } }, { namespaces: { matchLabels: { team: "a" }, matchExpressions: [SYSTEM_NOT_IN] } }, []],
    ["includeSystem keeps the selector as written", { selector: { matchLabels: { team: "a" } }, includeSystem: true }, { namespaces: { matchLabels: { team: "a" } } }, []],
    [
      "excluded names and today's exclude-glob matches are NotIn",
      { selector: {}, exclude: ["z*", "dev"] },
      { namespaces: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["dev", "kube-node-lease", "kube-public", "kube-system", "netfence-system", "z"] }] } },
      ["spec.namespaces.exclude[0]: the glob z* is expanded to today's namespaces; a new namespace matching it is isolated until netfence renders again"],
    ],
    ["names are In, even those that do not exist yet", { names: ["x", "later"] }, { namespaces: IN(["later", "x"]) }, []],
    ["a glob is today's matching names", { names: ["?"], exclude: ["y"] }, { namespaces: IN(["x", "z"]) }, ["spec.namespaces.names[0]: the glob ? is expanded to today's namespaces; a new namespace matching only the glob is covered once netfence renders again"]],
    [
      "names and a selector are listed by name",
      { names: ["z"], selector: { matchLabels: { team: "a" } } },
      { namespaces: IN(["x", "y", "z"]) },
      ["spec.namespaces: names and selector together select a union, which one Admin-tier subject cannot express: the subject lists today's namespaces by name, so a new namespace matching only the selector is covered once netfence renders again"],
    ],
  ])("%s", (_name, namespaces, subject, notes) => {
    const out = renderAdminTier(parsedProfile({ preset: "deny-ingress", namespaces }), WORLD.namespaces, "ClusterNetworkPolicy/v1beta1", OPERATOR);
    expect(out.ok && { subject: out.object?.spec.subject, notes: out.notes }).toEqual({ subject, notes });
  });

  it("a podSelector makes it a pods subject", () => {
    const { object } = admin(parsedProfile({ preset: "deny-ingress", namespaces: { names: ["x"] }, podSelector: { matchLabels: { pod: "a" } } }));
    expect(object.spec.subject).toEqual({ pods: { namespaceSelector: IN(["x"]), podSelector: { matchLabels: { pod: "a" } } } });
  });

  it("a glob that matches nothing today writes no object", () => {
    const out = renderAdminTier(parsedProfile({ preset: "deny-ingress", namespaces: { names: ["team-*"] } }), WORLD.namespaces, "ClusterNetworkPolicy/v1beta1", OPERATOR);
    expect(out.ok && { object: out.object, residual: out.residual }).toEqual({ object: undefined, residual: [] });
  });
});

describe("the object", () => {
  it("is named, labelled and owned like the NetworkPolicies, and hashed", () => {
    const { object } = admin(parsedProfile({ preset: "deny-all", namespaces: { names: ["x"] } }, "lockdown", "uid-7"));
    expect(object.metadata).toEqual({
      name: "netfence-lockdown",
      labels: { "app.kubernetes.io/managed-by": "netfence", "netfence.io/profile": "lockdown" },
      annotations: { "netfence.io/spec-hash": expect.stringMatching(/^[0-9a-f]{16}$/) as unknown as string },
      ownerReferences: [{ apiVersion: "netfence.io/v1alpha1", kind: "IsolationProfile", name: "lockdown", uid: "uid-7", controller: true, blockOwnerDeletion: false }],
    });
  });

  it("has no owner reference when rendered from a file (no uid)", () => {
    expect(admin(parsedProfile({ preset: "deny-all", namespaces: { names: ["x"] } }, "p", null)).object.metadata.ownerReferences).toBeUndefined();
  });

  it("carries spec.priority, default 100", () => {
    const priorities = [undefined, 0, 1000].map((priority) => admin(parsedProfile({ preset: "deny-ingress", namespaces: { names: ["x"] }, ...(priority === undefined ? {} : { priority }) })).object.spec.priority);
    expect(priorities).toEqual([100, 0, 1000]);
  });

  it("is the same bytes whatever the order of the namespaces and of the profile's lists", () => {
    const a = parsedProfile({ preset: "deny-all", namespaces: { names: ["?"] }, allowedPeers: [{ podSelector: { matchLabels: { pod: "b" } } }, { namespaceSelector: { matchLabels: { team: "b" } } }], egress: [{ ports: [{ port: 81 }, { port: 80 }] }] });
    const b = parsedProfile({ preset: "deny-all", namespaces: { names: ["?"] }, allowedPeers: [{ namespaceSelector: { matchLabels: { team: "b" } } }, { podSelector: { matchLabels: { pod: "b" } } }], egress: [{ ports: [{ port: 80 }, { port: 81 }] }] });
    expect(JSON.stringify(admin(b, "ClusterNetworkPolicy/v1beta1", [...WORLD.namespaces].reverse()).object)).toBe(JSON.stringify(admin(a).object));
  });

  it("ends each isolated direction with Deny from every pod; egress also to every address", () => {
    const { object } = admin(parsedProfile({ preset: "deny-all", namespaces: { names: ["x"] }, allowDNS: false }));
    expect({ ingress: object.spec.ingress, egress: object.spec.egress }).toEqual({
      ingress: [{ name: "deny-in-cluster", action: "Deny", from: [{ namespaces: {} }] }],
      egress: [{ name: "deny-all", action: "Deny", to: [{ namespaces: {} }, { networks: ["0.0.0.0/0", "::/0"] }] }],
    });
  });

  it("keeps every rule name within 100 characters", () => {
    const names = ADMIN_CASES.flatMap((c) => {
      const spec = admin(parsedProfile(c.spec)).object.spec as { ingress?: { name: string }[]; egress?: { name: string }[] };
      return [...(spec.ingress ?? []), ...(spec.egress ?? [])].map((r) => r.name);
    });
    expect(names.filter((n) => n.length > ADMIN_LIMITS.ruleName)).toEqual([]);
  });
});

describe("a profile that does not fit is refused whole, naming the field", () => {
  const peers = (rule: number) => Array.from({ length: 32 }, (_, i) => ({ namespaceSelector: { matchLabels: { n: `r${String(rule)}-${String(i)}` } } }));

  it("more than 25 egress rules (16 allowances of 32 peers split in 25s)", () => {
    const profile = parsedProfile({ preset: "deny-egress", namespaces: { names: ["x"] }, egress: Array.from({ length: 16 }, (_, i) => ({ to: peers(i) })) });
    const out = renderAdminTier(profile, WORLD.namespaces, "ClusterNetworkPolicy/v1beta1", OPERATOR);
    expect(out.ok ? "rendered" : { issues: out.issues, residual: out.residual.length }).toEqual({
      issues: [{ path: "spec.egress", message: "renders 34 Admin-tier egress rules; the Admin tier allows at most 25" }],
      residual: 1,
    });
  });

  it("exactly 25 egress rules are written; 26 are refused (16 allowances, some of 26 peers split in two, DNS and the deny)", () => {
    const render = (split: number) =>
      renderAdminTier(parsedProfile({ preset: "deny-egress", namespaces: { names: ["x"] }, egress: Array.from({ length: 16 }, (_, i) => ({ to: peers(i).slice(0, i < split ? 26 : 1) })) }), WORLD.namespaces, "ClusterNetworkPolicy/v1beta1", OPERATOR);
    const fits = render(7);
    const over = render(8);
    expect({
      fits: fits.ok ? (fits.object?.spec.egress as unknown[]).length : fits.issues,
      over: over.ok ? (over.object?.spec.egress as unknown[]).length : over.issues,
    }).toEqual({ fits: 25, over: [{ path: "spec.egress", message: "renders 26 Admin-tier egress rules; the Admin tier allows at most 25" }] });
  });

  it("more than 25 peers or protocols in a rule are split, not refused", () => {
    const { object } = admin(parsedProfile({ preset: "allow-by-label", namespaces: { names: ["x"] }, allowedPeers: peers(0), ports: Array.from({ length: 32 }, (_, i) => ({ port: 1000 + i })) }));
    const ingress = object.spec.ingress as { name: string; from: unknown[]; protocols?: unknown[] }[];
    expect(ingress.map((r) => `${r.name} ${String(r.from.length)} peers ${String(r.protocols?.length ?? 0)} protocols`)).toEqual([
      "pass-allowed-0 25 peers 25 protocols",
      "pass-allowed-1 25 peers 7 protocols",
      "pass-allowed-2 7 peers 25 protocols",
      "pass-allowed-3 7 peers 7 protocols",
      "deny-in-cluster 1 peers 0 protocols",
    ]);
  });

  it("an object over the size bound (a glob expanded to thousands of long names)", () => {
    const many: Namespace[] = Array.from({ length: 9000 }, (_, i) => ({ metadata: { name: `tenant-${String(i).padStart(5, "0")}-${"n".repeat(48)}` } }));
    const out = renderAdminTier(parsedProfile({ preset: "deny-ingress", namespaces: { names: ["tenant-*"] } }), many, "ClusterNetworkPolicy/v1beta1", OPERATOR);
    expect(out.ok ? "rendered" : out.issues.map((i) => `${i.path}: ${i.message.replace(/\d{6,}/, "N")}`)).toEqual([
      `spec.namespaces: the Admin-tier object would be N bytes, over the ${String(ADMIN_LIMITS.objectBytes)} netfence writes (the subject lists namespaces by name)`,
    ]);
  });
});
