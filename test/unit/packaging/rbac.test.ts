/**
 * The set arithmetic behind the RBAC proof (test/integration/rbac-install.test.ts):
 * grants from roles and bindings, requests from audit events, the difference
 * both ways and the message it fails with. No helm, no cluster.
 */
import { describe, expect, it } from "@jest/globals";
import type { K8sObject } from "./helm.js";
import { accessesOf, allows, compareRbac, grantsFor, rbacReport, usedSummary, type Access, type AuditRecord, type Grant, type Rule } from "./rbac.js";

const SA = "system:serviceaccount:ops:op";

const role = (kind: "ClusterRole" | "Role", name: string, rules: Rule[], namespace?: string): K8sObject => ({
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind,
  metadata: namespace ? { name, namespace } : { name },
  rules,
});
const binding = (kind: "ClusterRoleBinding" | "RoleBinding", roleKind: string, name: string, subject = { kind: "ServiceAccount", name: "op", namespace: "ops" }, namespace?: string): K8sObject => ({
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind,
  metadata: namespace ? { name, namespace } : { name },
  roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: roleKind, name },
  subjects: [subject],
});

describe("grantsFor expands the rules bound to the ServiceAccount", () => {
  it("a ClusterRole through a ClusterRoleBinding is cluster-wide, a Role through a RoleBinding is its namespace only, one grant per verb", () => {
    const objects = [
      role("ClusterRole", "op", [{ apiGroups: ["", "apps"], resources: ["pods"], verbs: ["list", "watch"] }]),
      binding("ClusterRoleBinding", "ClusterRole", "op"),
      role("Role", "op-events", [{ apiGroups: ["events.k8s.io"], resources: ["events"], verbs: ["create"], resourceNames: ["a"] }], "default"),
      binding("RoleBinding", "Role", "op-events", undefined, "default"),
    ];
    expect(grantsFor(objects, SA)).toEqual([
      { role: "ClusterRole op", scope: "", apiGroup: "", resource: "pods", verb: "list" },
      { role: "ClusterRole op", scope: "", apiGroup: "", resource: "pods", verb: "watch" },
      { role: "ClusterRole op", scope: "", apiGroup: "apps", resource: "pods", verb: "list" },
      { role: "ClusterRole op", scope: "", apiGroup: "apps", resource: "pods", verb: "watch" },
      { role: "Role op-events in default", scope: "default", apiGroup: "events.k8s.io", resource: "events", verb: "create", resourceName: "a" },
    ]);
  });

  it.each<[string, K8sObject[]]>([
    ["a binding to another ServiceAccount", [role("ClusterRole", "op", [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }]), binding("ClusterRoleBinding", "ClusterRole", "op", { kind: "ServiceAccount", name: "other", namespace: "ops" })]],
    ["a binding to the same name in another namespace", [role("ClusterRole", "op", [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }]), binding("ClusterRoleBinding", "ClusterRole", "op", { kind: "ServiceAccount", name: "op", namespace: "elsewhere" })]],
    ["a role nothing binds", [role("ClusterRole", "op", [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }])]],
  ])("grants nothing for %s", (_name, objects) => {
    expect(grantsFor(objects, SA)).toEqual([]);
  });

  it.each<[string, K8sObject[], RegExp]>([
    ["a wildcard verb", [role("ClusterRole", "op", [{ apiGroups: [""], resources: ["pods"], verbs: ["*"] }]), binding("ClusterRoleBinding", "ClusterRole", "op")], /wildcard/],
    ["nonResourceURLs", [role("ClusterRole", "op", [{ apiGroups: [], resources: [], verbs: ["get"], nonResourceURLs: ["/metrics"] }]), binding("ClusterRoleBinding", "ClusterRole", "op")], /nonResourceURLs/],
    ["a binding to a role not rendered", [binding("ClusterRoleBinding", "ClusterRole", "op")], /not among the objects/],
  ])("refuses %s: it cannot be proven", (_name, objects, message) => {
    expect(() => grantsFor(objects, SA)).toThrow(message);
  });
});

describe("accessesOf reads the audit log", () => {
  const event = (id: string, user: string, verb: string, objectRef: AuditRecord["objectRef"], code = 200): AuditRecord => ({ auditID: id, verb, requestURI: "/x", user: { username: user }, objectRef, responseStatus: { code } });

  it("keeps the user's requests once per audit ID (a watch is logged when it opens and when it ends), subresources joined", () => {
    const events = [
      event("1", SA, "watch", { resource: "pods" }),
      event("1", SA, "watch", { resource: "pods" }),
      event("2", "admin", "list", { resource: "secrets" }),
      event("3", SA, "patch", { apiGroup: "netfence.io", resource: "isolationprofiles", subresource: "status", name: "p" }),
      event("4", SA, "get", { apiGroup: "networking.k8s.io", resource: "networkpolicies", namespace: "a", name: "n" }, 404),
    ];
    expect(accessesOf(events, SA)).toEqual([
      { scope: "", apiGroup: "", resource: "pods", verb: "watch", code: 200 },
      { scope: "", apiGroup: "netfence.io", resource: "isolationprofiles/status", verb: "patch", name: "p", code: 200 },
      { scope: "a", apiGroup: "networking.k8s.io", resource: "networkpolicies", verb: "get", name: "n", code: 404 },
    ]);
  });

  it("leaves out reads of API discovery documents (system:discovery grants them), keeps other non-resource requests", () => {
    const at = (id: string, uri: string, verb = "get"): AuditRecord => ({ auditID: id, verb, requestURI: uri, user: { username: SA }, responseStatus: { code: 200 } });
    const events = [at("1", "/apis"), at("2", "/apis/policy.networking.k8s.io"), at("3", "/apis/policy.networking.k8s.io/v1beta1"), at("4", "/api/v1"), at("5", "/metrics"), at("6", "/apis/x/v1/things/extra")];
    expect(accessesOf(events, SA)).toEqual([
      { scope: "", apiGroup: "", resource: "/metrics", verb: "get", code: 200 },
      { scope: "", apiGroup: "", resource: "/apis/x/v1/things/extra", verb: "get", code: 200 },
    ]);
  });
});

describe("allows follows RBAC", () => {
  const grant = (g: Partial<Grant>): Grant => ({ role: "r", scope: "", apiGroup: "", resource: "pods", verb: "list", ...g });
  const access = (a: Partial<Access>): Access => ({ scope: "", apiGroup: "", resource: "pods", verb: "list", code: 200, ...a });

  it.each<[string, Grant, Access, boolean]>([
    ["a cluster-wide grant covers any namespace", grant({}), access({ scope: "team-a" }), true],
    ["a namespaced grant covers its namespace", grant({ scope: "default" }), access({ scope: "default" }), true],
    ["a namespaced grant does not cover another namespace", grant({ scope: "default" }), access({ scope: "team-a" }), false],
    ["a namespaced grant does not cover an all-namespaces list", grant({ scope: "default" }), access({}), false],
    ["watch is not list", grant({ verb: "list" }), access({ verb: "watch" }), false],
    ["update is not patch", grant({ verb: "patch" }), access({ verb: "update" }), false],
    ["delete is not deletecollection", grant({ verb: "delete" }), access({ verb: "deletecollection" }), false],
    ["a subresource is its own resource", grant({ resource: "pods" }), access({ resource: "pods/status" }), false],
    ["events.k8s.io is not core events", grant({ apiGroup: "events.k8s.io", resource: "events", verb: "create" }), access({ resource: "events", verb: "create" }), false],
    ["resourceNames limit a grant to those names", grant({ resourceName: "a" }), access({ name: "b" }), false],
  ])("%s", (_name, g, a, expected) => {
    expect(allows(g, a)).toBe(expected);
  });
});

describe("compareRbac and rbacReport", () => {
  const grants: Grant[] = [
    { role: "ClusterRole op", scope: "", apiGroup: "", resource: "pods", verb: "list" },
    { role: "ClusterRole op", scope: "", apiGroup: "", resource: "pods", verb: "get" },
    { role: "Role op in ops", scope: "ops", apiGroup: "coordination.k8s.io", resource: "leases", verb: "update" },
  ];

  it("is silent when every grant was used and every request granted", () => {
    const used: Access[] = [
      { scope: "", apiGroup: "", resource: "pods", verb: "list", code: 200 },
      { scope: "a", apiGroup: "", resource: "pods", verb: "get", name: "x", code: 404 },
      { scope: "ops", apiGroup: "coordination.k8s.io", resource: "leases", verb: "update", code: 409 },
    ];
    expect(rbacReport(SA, compareRbac(grants, used))).toBe("");
  });

  it("names every grant never used, every request not granted and every refusal, and a refused request uses no grant", () => {
    const used: Access[] = [
      { scope: "", apiGroup: "", resource: "pods", verb: "list", code: 200 },
      { scope: "ops", apiGroup: "coordination.k8s.io", resource: "leases", verb: "update", code: 403 },
      { scope: "default", apiGroup: "", resource: "secrets", verb: "get", code: 403 },
      { scope: "default", apiGroup: "", resource: "secrets", verb: "get", code: 403 },
    ];
    expect(rbacReport(SA, compareRbac(grants, used))).toBe(
      [
        `The RBAC granted to ${SA} is not exactly what it used:`,
        "  granted but never used (remove the grant, or exercise it in the test):",
        "    ClusterRole op: get pods cluster-wide",
        "    Role op in ops: update leases.coordination.k8s.io in ops",
        "  used but not granted (grant it, or stop making the request):",
        "    get secrets in default → 403 ×2",
        "  refused (403):",
        "    get secrets in default → 403 ×2",
        "    update leases.coordination.k8s.io in ops → 403",
      ].join("\n"),
    );
  });

  it("summarises what was used by verb and resource, counting many namespaces", () => {
    const used: Access[] = ["a", "b", "c", "d"].map((scope) => ({ scope, apiGroup: "networking.k8s.io", resource: "networkpolicies", verb: "get", code: 200 }));
    used.push({ scope: "", apiGroup: "", resource: "pods", verb: "watch", code: 200 }, { scope: "default", apiGroup: "events.k8s.io", resource: "events", verb: "create", code: 201 });
    expect(usedSummary(used)).toEqual(["create events.events.k8s.io: in default", "get networkpolicies.networking.k8s.io: in 4 namespaces", "watch pods: cluster-wide"]);
  });
});
