/**
 * RBAC as two sets, to prove a role rather than claim it: what a rendered
 * chart grants one user (every rule expanded to one verb on one resource in
 * one scope) and what that user did (from the API server's audit log), with
 * the difference both ways as a message a reviewer can act on. Pure: the
 * caller reads the chart and the log.
 */
import type { K8sObject } from "./helm.js";

export interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** Cluster-wide, or one namespace: where a grant applies, or where a request went. */
const CLUSTER = "";

/** One verb on one resource (a subresource as "resource/sub") in one scope, from one role. */
export interface Grant {
  /** "ClusterRole netfence", "Role netfence-events in default". */
  role: string;
  /** A namespace, or CLUSTER ("") for a ClusterRole bound cluster-wide. */
  scope: string;
  apiGroup: string;
  resource: string;
  verb: string;
  resourceName?: string;
}

/** One request as the audit log records it. */
export interface Access {
  /** The namespace, or "" for a cluster-scoped object or an all-namespaces list/watch. */
  scope: string;
  apiGroup: string;
  /** "resource" or "resource/subresource"; a non-resource request as its path. */
  resource: string;
  verb: string;
  name?: string;
  /** The response code (0 when the log has none). */
  code: number;
}

/** The part of an audit event (audit.k8s.io/v1, Metadata level) this module reads. */
export interface AuditRecord {
  auditID: string;
  verb: string;
  requestURI: string;
  user: { username: string };
  objectRef?: { apiGroup?: string; resource?: string; subresource?: string; namespace?: string; name?: string };
  responseStatus?: { code?: number };
}

interface Binding extends K8sObject {
  roleRef: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

/** "system:serviceaccount:<ns>:<name>" → its namespace and name. */
function serviceAccount(user: string): { namespace: string; name: string } {
  const [system, kind, namespace, name] = user.split(":");
  if (system !== "system" || kind !== "serviceaccount" || !namespace || !name) throw new Error(`${user} is not a ServiceAccount user name`);
  return { namespace, name };
}

function expand(role: string, scope: string, rules: readonly Rule[]): Grant[] {
  const out: Grant[] = [];
  for (const rule of rules) {
    if (rule.nonResourceURLs?.length) throw new Error(`${role}: nonResourceURLs ${rule.nonResourceURLs.join(", ")}: only resource rules can be proven from the audit log`);
    const wildcard = [...rule.apiGroups, ...rule.resources, ...rule.verbs].includes("*");
    if (wildcard) throw new Error(`${role}: a wildcard rule cannot be proven used; name the groups, resources and verbs`);
    for (const apiGroup of rule.apiGroups)
      for (const resource of rule.resources)
        for (const verb of rule.verbs)
          for (const resourceName of rule.resourceNames?.length ? rule.resourceNames : [undefined])
            out.push(resourceName === undefined ? { role, scope, apiGroup, resource, verb } : { role, scope, apiGroup, resource, verb, resourceName });
  }
  return out;
}

/**
 * Every grant the objects give `user` (a ServiceAccount) through their
 * ClusterRoleBindings (cluster-wide) and RoleBindings (the binding's
 * namespace). A binding to a role the objects do not hold is an error: its
 * grants could not be listed.
 */
export function grantsFor(objects: readonly K8sObject[], user: string): Grant[] {
  const sa = serviceAccount(user);
  const bindings = objects.filter((o): o is Binding => o.kind === "ClusterRoleBinding" || o.kind === "RoleBinding");
  return bindings
    .filter((b) => (b.subjects ?? []).some((s) => s.kind === "ServiceAccount" && s.name === sa.name && (s.namespace ?? b.metadata.namespace) === sa.namespace))
    .flatMap((b) => {
      const scope = b.kind === "ClusterRoleBinding" ? CLUSTER : (b.metadata.namespace ?? "");
      const roleNamespace = b.roleRef.kind === "Role" ? scope : undefined;
      const role = objects.find((o) => o.kind === b.roleRef.kind && o.metadata.name === b.roleRef.name && o.metadata.namespace === roleNamespace);
      if (!role) throw new Error(`${b.kind} ${b.metadata.name} refers to ${b.roleRef.kind} ${b.roleRef.name}, which is not among the objects`);
      const label = `${role.kind} ${role.metadata.name}${scope ? ` in ${scope}` : ""}`;
      return expand(label, scope, (role as K8sObject & { rules?: Rule[] }).rules ?? []);
    });
}

/** API discovery documents (/api, /apis, /apis/<group>, /apis/<group>/<version>): the default ClusterRole system:discovery grants them to every authenticated user. */
const DISCOVERY = /^\/apis?(\/[^/]+){0,2}$/;

/**
 * The requests `user` made, one per request: the log has a watch twice (when
 * it opens and when it ends), so events are taken once per audit ID. Reads of
 * API discovery documents are left out: no role of the chart grants them.
 */
export function accessesOf(events: readonly AuditRecord[], user: string): Access[] {
  const seen = new Set<string>();
  const out: Access[] = [];
  for (const e of events) {
    if (e.user.username !== user || seen.has(e.auditID)) continue;
    seen.add(e.auditID);
    const ref = e.objectRef;
    const code = e.responseStatus?.code ?? 0;
    if (!ref?.resource) {
      if (e.verb === "get" && DISCOVERY.test(e.requestURI.split("?")[0] ?? "")) continue;
      out.push({ scope: CLUSTER, apiGroup: "", resource: e.requestURI.split("?")[0] ?? e.requestURI, verb: e.verb, code });
      continue;
    }
    const access: Access = { scope: ref.namespace ?? CLUSTER, apiGroup: ref.apiGroup ?? "", resource: ref.subresource ? `${ref.resource}/${ref.subresource}` : ref.resource, verb: e.verb, code };
    if (ref.name) access.name = ref.name;
    out.push(access);
  }
  return out;
}

/** Whether `grant` authorizes `access` (RBAC: exact group, resource, verb; a Role only in its namespace). */
export function allows(grant: Grant, access: Access): boolean {
  return (
    grant.apiGroup === access.apiGroup &&
    grant.resource === access.resource &&
    grant.verb === access.verb &&
    (grant.scope === CLUSTER || grant.scope === access.scope) &&
    (grant.resourceName === undefined || grant.resourceName === access.name)
  );
}

export interface RbacDiff {
  /** Grants no authorized request used. */
  unused: Grant[];
  /** Requests no grant covers (refused, or allowed by something outside the objects). */
  ungranted: Access[];
  /** Requests answered 403. */
  refused: Access[];
}

/** The difference both ways; a 403'd request uses no grant. */
export function compareRbac(grants: readonly Grant[], accesses: readonly Access[]): RbacDiff {
  const authorized = accesses.filter((a) => a.code !== 403);
  return {
    unused: grants.filter((g) => !authorized.some((a) => allows(g, a))),
    ungranted: accesses.filter((a) => !grants.some((g) => allows(g, a))),
    refused: accesses.filter((a) => a.code === 403),
  };
}

const qualified = (resource: string, apiGroup: string) => (apiGroup ? `${resource}.${apiGroup}` : resource);
const where = (scope: string) => (scope ? `in ${scope}` : "cluster-wide");

function describeGrant(g: Grant): string {
  return `${g.role}: ${g.verb} ${qualified(g.resource, g.apiGroup)}${g.resourceName ? ` named ${g.resourceName}` : ""} ${where(g.scope)}`;
}

/** Identical requests as one line with a count: "list secrets in default → 403 ×2". */
function describeAccesses(accesses: readonly Access[]): string[] {
  const counts = new Map<string, number>();
  for (const a of accesses) {
    const line = `${a.verb} ${qualified(a.resource, a.apiGroup)} ${where(a.scope)} → ${String(a.code)}`;
    counts.set(line, (counts.get(line) ?? 0) + 1);
  }
  return [...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([line, n]) => (n > 1 ? `${line} ×${String(n)}` : line));
}

/**
 * What was used, one line per verb and resource with where, e.g.
 * "get networkpolicies.networking.k8s.io: in 4 namespaces" (more than three
 * namespaces are counted rather than named).
 */
export function usedSummary(accesses: readonly Access[]): string[] {
  const scopes = new Map<string, Set<string>>();
  for (const a of accesses) {
    const key = `${a.verb} ${qualified(a.resource, a.apiGroup)}`;
    let set = scopes.get(key);
    if (!set) scopes.set(key, (set = new Set()));
    set.add(a.scope);
  }
  return [...scopes]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, set]) => {
      const cluster = set.has(CLUSTER) ? ["cluster-wide"] : [];
      const named = [...set].filter((s) => s !== CLUSTER).sort();
      const spaces = named.length > 3 ? [`in ${String(named.length)} namespaces`] : named.map((s) => `in ${s}`);
      return `${key}: ${[...cluster, ...spaces].join(", ")}`;
    });
}

/** "" when the grants are exactly what was used and nothing was refused; else what to change, both ways. */
export function rbacReport(user: string, diff: RbacDiff): string {
  if (!diff.unused.length && !diff.ungranted.length && !diff.refused.length) return "";
  const section = (title: string, lines: string[]) => (lines.length ? [`  ${title}:`, ...lines.map((l) => `    ${l}`)] : []);
  return [
    `The RBAC granted to ${user} is not exactly what it used:`,
    ...section("granted but never used (remove the grant, or exercise it in the test)", diff.unused.map(describeGrant)),
    ...section("used but not granted (grant it, or stop making the request)", describeAccesses(diff.ungranted)),
    ...section("refused (403)", describeAccesses(diff.refused)),
  ].join("\n");
}
