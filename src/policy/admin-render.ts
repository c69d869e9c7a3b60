/**
 * IsolationProfile → one Admin-tier object (ClusterNetworkPolicy v1beta1 or
 * v1alpha2, or AdminNetworkPolicy v1alpha1), plus the residual
 * NetworkPolicies. Pure: the namespaces come in as arguments.
 *
 * The Admin-tier object is built from the NetworkPolicy spec the profile
 * renders today (render.ts), so it says the same thing a tier earlier:
 * - per isolated direction, `Pass` for everything that NetworkPolicy admits
 *   (hand it to the NetworkPolicies), then `Deny` for every pod (egress: and
 *   every address). A tenant's NetworkPolicy can still narrow what is passed,
 *   never widen past it.
 * - Every `Pass` covers at least what the NetworkPolicy admits from (or to) a
 *   pod. Where the Admin tier cannot say exactly that (see the notes a render
 *   returns), it passes more and the NetworkPolicy decides the difference:
 *   so the Admin object plus the residual NetworkPolicies admit exactly what
 *   the NetworkPolicies alone admit, and only the passed surplus is left open
 *   to tenants.
 * - The residual is today's NetworkPolicy render, unchanged: the Admin tier's
 *   ingress has no address peers, so ingress from outside the cluster is only
 *   ever judged by the NetworkPolicy.
 *
 * The rule table is one neutral model (`AdminTable`), spelled per kind by
 * `spellAdminTable`: `Accept`/`Allow` never occur (only Pass and Deny), and
 * ports are `protocols` (v1beta1/v1alpha2) or `ports` (v1alpha1).
 */
import { API_VERSION, KIND, LABEL_MANAGED_BY, LABEL_NAMESPACE_NAME, LABEL_PROFILE, MANAGED_BY_VALUE, SYSTEM_NAMESPACES, ANNOTATION_SPEC_HASH } from "../api/constants.js";
import type { Issue, ParsedProfile } from "../api/types.js";
import type { LabelSelector, LabelSelectorRequirement, Namespace, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec, ObjectMeta, Protocol } from "../k8s/objects.js";
import { canonicalJson, canonicalSelector, canonicalSpec } from "./canonical.js";
import { shortHash } from "./hash.js";
import { policyName, profileLabelValue } from "./naming.js";
import { matchesGlob, selectNamespaces } from "./namespaces.js";
import { dnsEgressRule, renderProfile, renderSpec, type RenderOptions } from "./render.js";

export const ADMIN_KINDS = ["ClusterNetworkPolicy/v1beta1", "ClusterNetworkPolicy/v1alpha2", "AdminNetworkPolicy/v1alpha1"] as const;
export type AdminKind = (typeof ADMIN_KINDS)[number];

/** Upstream's bounds (network-policy-api v0.3.0; v0.1.x allowed 100, netfence keeps to 25 for every kind). */
export const ADMIN_LIMITS = {
  rulesPerDirection: 25,
  peersPerRule: 25,
  protocolsPerRule: 25,
  ruleName: 100,
  /**
   * The JSON size of the object, a third of etcd's 1.5 MiB request limit: room
   * is left for managedFields and for what implementations write in status.
   * Only a long list of namespace names (globs or a union expanded) comes near it.
   */
  objectBytes: 512 * 1024,
} as const;

const ALL_V4 = "0.0.0.0/0";
const ALL_V6 = "::/0";
const EVERY_NAMESPACE: AdminPeer = { namespaces: {} };

export type AdminSelection = { namespaces: LabelSelector } | { pods: { namespaceSelector: LabelSelector; podSelector: LabelSelector } };
export type AdminPeer = AdminSelection | { networks: string[] };
/** One protocol and a port range; start === end is one port. */
export interface AdminPort {
  protocol: Protocol;
  start: number;
  end: number;
}
export interface AdminRule {
  name: string;
  action: "Pass" | "Deny";
  peers: AdminPeer[];
  /** undefined: every protocol, ICMP included. */
  ports?: AdminPort[];
}
/** The rule table every kind spells the same way. */
export interface AdminTable {
  priority: number;
  subject: AdminSelection;
  /** undefined: the profile does not isolate the direction (the object leaves it alone). */
  ingress?: AdminRule[];
  egress?: AdminRule[];
}

export interface AdminTierObject {
  apiVersion: string;
  kind: "ClusterNetworkPolicy" | "AdminNetworkPolicy";
  metadata: ObjectMeta;
  spec: Record<string, unknown>;
}

export interface Surplus {
  ingress: boolean;
  egress: boolean;
}

export type AdminRender =
  | {
      ok: true;
      /** undefined: the profile selects no namespace today and names none, so there is nothing to subject. */
      object: AdminTierObject | undefined;
      table: AdminTable | undefined;
      /** The NetworkPolicies still written: today's render, unchanged (ingress from outside the cluster). */
      residual: NetworkPolicy[];
      /** What the Admin tier does not make tenant-proof, or what waits for netfence, naming the field. */
      notes: string[];
      /** Per direction: the Pass rules admit more pods than the NetworkPolicy does (a tenant may widen up to them). */
      surplus: Surplus;
    }
  | { ok: false; issues: Issue[]; residual: NetworkPolicy[] };

// ---------------------------------------------------------------------------
// The subject

const hasGlob = (pattern: string): boolean => pattern.includes("*") || pattern.includes("?");

function sorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function byName(operator: "In" | "NotIn", values: readonly string[]): LabelSelectorRequirement {
  return { key: LABEL_NAMESPACE_NAME, operator, values: sorted(values) };
}

interface Subject {
  /** undefined: nothing to select. */
  namespaces: LabelSelector | undefined;
  /** The selector names exactly one namespace (a same-namespace peer is then exact). */
  single: boolean;
  notes: string[];
}

/**
 * The namespaces of the subject as one selector: the profile's label selector
 * minus the excluded and system namespaces (`NotIn`), or its names (`In`,
 * globs expanded to today's names). A union of both cannot be one selector:
 * then every namespace selected today is listed by name.
 */
function subjectNamespaces(profile: ParsedProfile, namespaces: readonly Namespace[], opts: RenderOptions): Subject {
  const { names, selector, exclude, includeSystem } = profile.spec.namespaces;
  const notes: string[] = [];
  const today = namespaces.map((ns) => ns.metadata.name);
  const skipped = new Set(includeSystem ? [] : [...SYSTEM_NAMESPACES, ...(opts.operatorNamespace === undefined ? [] : [opts.operatorNamespace])]);
  const excluded = (name: string): boolean => exclude.some((p) => matchesGlob(p, name));
  names.forEach((pattern, i) => {
    if (hasGlob(pattern)) notes.push(`spec.namespaces.names[${String(i)}]: the glob ${pattern} is expanded to today's namespaces; a new namespace matching only the glob is covered once netfence renders again`);
  });
  if (selector !== undefined && names.length === 0) {
    exclude.forEach((pattern, i) => {
      if (hasGlob(pattern)) notes.push(`spec.namespaces.exclude[${String(i)}]: the glob ${pattern} is expanded to today's namespaces; a new namespace matching it is isolated until netfence renders again`);
    });
    const notIn = [...skipped, ...exclude.filter((p) => !hasGlob(p)), ...today.filter(excluded)];
    const expressions = [...(selector.matchExpressions ?? []), ...(notIn.length > 0 ? [byName("NotIn", notIn)] : [])];
    const merged: LabelSelector = { ...(selector.matchLabels ? { matchLabels: selector.matchLabels } : {}), ...(expressions.length > 0 ? { matchExpressions: expressions } : {}) };
    return { namespaces: canonicalSelector(merged), single: false, notes };
  }
  const listed = names.filter((p) => !hasGlob(p));
  const selected = selectNamespaces(profile.spec, namespaces, opts).map((ns) => ns.metadata.name);
  if (selector !== undefined) {
    notes.push(
      "spec.namespaces: names and selector together select a union, which one Admin-tier subject cannot express: the subject lists today's namespaces by name, so a new namespace matching only the selector is covered once netfence renders again",
    );
  }
  const values = sorted([...listed.filter((n) => !excluded(n) && !skipped.has(n)), ...selected]);
  if (values.length === 0) return { namespaces: undefined, single: false, notes };
  return { namespaces: { matchExpressions: [byName("In", values)] }, single: values.length === 1, notes };
}

function isEmptySelector(selector: LabelSelector): boolean {
  return Object.keys(canonicalSelector(selector)).length === 0;
}

function selection(namespaceSelector: LabelSelector, podSelector: LabelSelector): AdminSelection {
  return isEmptySelector(podSelector) ? { namespaces: namespaceSelector } : { pods: { namespaceSelector, podSelector: canonicalSelector(podSelector) } };
}

// ---------------------------------------------------------------------------
// Peers and ports, from the rendered NetworkPolicy spec

function describePeer(peer: NetworkPolicyPeer): string {
  return canonicalJson(peer);
}

/** The Admin-tier peers that cover a NetworkPolicy peer, and what they cover beyond it. */
function coverPeer(peer: NetworkPolicyPeer, direction: "ingress" | "egress", subject: Subject, notes: string[]): AdminPeer {
  if (peer.ipBlock) {
    if (direction === "ingress") {
      notes.push(
        `ingress from ${describePeer(peer)}: the Admin tier's ingress cannot name addresses, so in-cluster ingress on the allowed ports is passed from every pod and only the NetworkPolicy narrows it (not tenant-proof); ingress from outside the cluster is the NetworkPolicy's alone`,
      );
      return EVERY_NAMESPACE;
    }
    if ((peer.ipBlock.except ?? []).length > 0) notes.push(`egress to ${describePeer(peer)}: the Admin tier's networks have no except, so the except ranges are passed and only the NetworkPolicy denies them (not tenant-proof)`);
    return { networks: [peer.ipBlock.cidr] };
  }
  const podSelector = peer.podSelector ?? {};
  if (peer.namespaceSelector !== undefined) return selection(canonicalSelector(peer.namespaceSelector), podSelector);
  // Same namespace as the policy: the Admin tier has no such peer; the subject's namespaces stand for it.
  const own = subject.namespaces ?? {};
  if (!subject.single) notes.push(`${direction} ${direction === "ingress" ? "from" : "to"} ${describePeer(peer)} in the same namespace: passed between every namespace the profile selects, where the NetworkPolicies decide (tenant-proof against every other namespace)`);
  return selection(own, podSelector);
}

/** A NetworkPolicyPort as a range. A named port is every port of its protocol at the Admin tier (the standard channel has no named ports). */
function coverPort(port: NetworkPolicyPort, notes: string[]): AdminPort {
  const protocol = port.protocol ?? "TCP";
  if (port.port === undefined) return { protocol, start: 1, end: 65535 };
  if (typeof port.port === "string") {
    notes.push(`port ${port.port}/${protocol}: a named port is passed on every ${protocol} port at the Admin tier and only the NetworkPolicy narrows it to the named one`);
    return { protocol, start: 1, end: 65535 };
  }
  return { protocol, start: port.port, end: port.endPort !== undefined && port.endPort > port.port ? port.endPort : port.port };
}

function uniqueSorted<T>(items: readonly T[]): T[] {
  const byKey = new Map(items.map((item) => [canonicalJson(item), item] as const));
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, item]) => item);
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Pass rules for peers × ports, split to fit the per-rule bounds (consecutive Pass rules add up). */
function passRules(name: string, peers: readonly AdminPeer[], ports: readonly AdminPort[] | undefined): AdminRule[] {
  const peerChunks = chunks(uniqueSorted(peers), ADMIN_LIMITS.peersPerRule);
  const portChunks = ports === undefined ? [undefined] : chunks(uniqueSorted(ports), ADMIN_LIMITS.protocolsPerRule);
  const many = peerChunks.length * portChunks.length > 1;
  let n = 0;
  return peerChunks.flatMap((chunk) =>
    portChunks.map((portChunk): AdminRule => ({ name: many ? `${name}-${String(n++)}` : name, action: "Pass", peers: chunk, ...(portChunk ? { ports: portChunk } : {}) })),
  );
}

function ingressTable(spec: NetworkPolicySpec, subject: Subject, notes: string[]): AdminRule[] {
  const deny: AdminRule = { name: "deny-in-cluster", action: "Deny", peers: [EVERY_NAMESPACE] };
  const rule = spec.ingress?.[0];
  if (!rule) return [deny];
  const peers = rule.from === undefined || rule.from.length === 0 ? [EVERY_NAMESPACE] : rule.from.map((p) => coverPeer(p, "ingress", subject, notes));
  const ports = rule.ports === undefined || rule.ports.length === 0 ? undefined : rule.ports.map((p) => coverPort(p, notes));
  return [...passRules("pass-allowed", peers, ports), deny];
}

function egressTable(spec: NetworkPolicySpec, subject: Subject, opts: RenderOptions, notes: string[]): AdminRule[] {
  // The DNS rule as renderSpec writes it (canonical), to name it in the table.
  const dns = canonicalJson(canonicalSpec({ podSelector: {}, policyTypes: ["Egress"], egress: [dnsEgressRule(opts.dns)] }).egress?.[0] ?? null);
  const rules = (spec.egress ?? []).flatMap((rule, i) => {
    const peers = rule.to === undefined || rule.to.length === 0 ? [EVERY_NAMESPACE, { networks: [ALL_V4, ALL_V6] }] : rule.to.map((p) => coverPeer(p, "egress", subject, notes));
    const ports = rule.ports === undefined || rule.ports.length === 0 ? undefined : rule.ports.map((p) => coverPort(p, notes));
    return passRules(canonicalJson(rule) === dns ? "pass-dns" : `pass-egress-${String(i)}`, peers, ports);
  });
  return [...rules, { name: "deny-all", action: "Deny", peers: [EVERY_NAMESPACE, { networks: [ALL_V4, ALL_V6] }] }];
}


// ---------------------------------------------------------------------------
// Limits, spelling, the object

function limitIssues(table: AdminTable): Issue[] {
  const issues: Issue[] = [];
  const check = (rules: readonly AdminRule[] | undefined, direction: "ingress" | "egress", fields: string): void => {
    if (!rules) return;
    if (rules.length > ADMIN_LIMITS.rulesPerDirection) {
      issues.push({ path: fields, message: `renders ${String(rules.length)} Admin-tier ${direction} rules; the Admin tier allows at most ${String(ADMIN_LIMITS.rulesPerDirection)}` });
    }
    for (const rule of rules) if (rule.name.length > ADMIN_LIMITS.ruleName) issues.push({ path: fields, message: `rule name ${rule.name} is over ${String(ADMIN_LIMITS.ruleName)} characters` });
  };
  check(table.ingress, "ingress", "spec.allowedPeers");
  check(table.egress, "egress", "spec.egress");
  return issues;
}

function protocolOf(port: AdminPort): Record<string, unknown> {
  const destinationPort = port.start === port.end ? { number: port.start } : { range: { start: port.start, end: port.end } };
  return { [port.protocol.toLowerCase()]: { destinationPort } };
}

function v1alpha1Port(port: AdminPort): Record<string, unknown> {
  return port.start === port.end ? { portNumber: { protocol: port.protocol, port: port.start } } : { portRange: { protocol: port.protocol, start: port.start, end: port.end } };
}

function spellRule(rule: AdminRule, direction: "ingress" | "egress", kind: AdminKind): Record<string, unknown> {
  // v1alpha1 `pods` requires both selectors; `selection` always writes both.
  const out: Record<string, unknown> = { name: rule.name, action: rule.action, [direction === "ingress" ? "from" : "to"]: rule.peers };
  if (rule.ports) out[kind === "AdminNetworkPolicy/v1alpha1" ? "ports" : "protocols"] = rule.ports.map(kind === "AdminNetworkPolicy/v1alpha1" ? v1alpha1Port : protocolOf);
  return out;
}

/** The table in one kind's spelling: the `spec` of the object. */
export function spellAdminTable(table: AdminTable, kind: AdminKind): Record<string, unknown> {
  const spec: Record<string, unknown> = kind === "AdminNetworkPolicy/v1alpha1" ? { priority: table.priority } : { tier: "Admin", priority: table.priority };
  spec.subject = table.subject;
  if (table.ingress) spec.ingress = table.ingress.map((r) => spellRule(r, "ingress", kind));
  if (table.egress) spec.egress = table.egress.map((r) => spellRule(r, "egress", kind));
  // No part shared with the table or between rules (a YAML printer would write anchors for shared parts).
  return JSON.parse(JSON.stringify(spec)) as Record<string, unknown>;
}

export function adminApiVersion(kind: AdminKind): string {
  return `policy.networking.k8s.io/${kind.split("/")[1] ?? ""}`;
}

/** The rule table of a profile, or undefined when it selects nothing; notes say what is not tenant-proof. */
export function adminTable(profile: ParsedProfile, namespaces: readonly Namespace[], opts: RenderOptions = {}): { table: AdminTable | undefined; notes: string[]; surplus: Surplus } {
  const subject = subjectNamespaces(profile, namespaces, opts);
  const notes = [...subject.notes];
  const surplus: Surplus = { ingress: false, egress: false };
  if (subject.namespaces === undefined) return { table: undefined, notes: [...notes, "spec.namespaces: selects no namespace today and names none: no Admin-tier object"], surplus };
  const spec = renderSpec(profile.spec, opts);
  const types = spec.policyTypes ?? [];
  const table: AdminTable = { priority: profile.spec.priority, subject: selection(subject.namespaces, profile.spec.podSelector) };
  // Every note a direction's rules add names a surplus they pass (coverPeer, coverPort).
  let before = notes.length;
  if (types.includes("Ingress")) table.ingress = ingressTable(spec, subject, notes);
  surplus.ingress = notes.length > before;
  before = notes.length;
  if (types.includes("Egress")) table.egress = egressTable(spec, subject, opts, notes);
  surplus.egress = notes.length > before;
  return { table, notes: [...new Set(notes)], surplus };
}

/**
 * The Admin-tier object a profile is enforced with, as `kind`, with the
 * residual NetworkPolicies; or the issues (naming the field) why it does not
 * fit. Deterministic: the same inputs give byte-identical JSON.
 */
export function renderAdminTier(profile: ParsedProfile, namespaces: readonly Namespace[], kind: AdminKind, opts: RenderOptions = {}): AdminRender {
  const residual = renderProfile(profile, namespaces, opts);
  const { table, notes, surplus } = adminTable(profile, namespaces, opts);
  if (!table) return { ok: true, object: undefined, table: undefined, residual, notes, surplus };
  const limits = limitIssues(table);
  if (limits.length > 0) return { ok: false, issues: limits, residual };
  const spec = spellAdminTable(table, kind);
  const { name, uid } = profile.metadata;
  const metadata: ObjectMeta = {
    name: policyName(name),
    labels: { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE, [LABEL_PROFILE]: profileLabelValue(name) },
    annotations: { [ANNOTATION_SPEC_HASH]: shortHash(canonicalJson(spec), 16) },
    ...(uid ? { ownerReferences: [{ apiVersion: API_VERSION, kind: KIND, name, uid, controller: true, blockOwnerDeletion: false }] } : {}),
  };
  const object: AdminTierObject = { apiVersion: adminApiVersion(kind), kind: kind.startsWith("AdminNetworkPolicy") ? "AdminNetworkPolicy" : "ClusterNetworkPolicy", metadata, spec };
  const bytes = Buffer.byteLength(JSON.stringify(object));
  if (bytes > ADMIN_LIMITS.objectBytes) {
    return { ok: false, issues: [{ path: "spec.namespaces", message: `the Admin-tier object would be ${String(bytes)} bytes, over the ${String(ADMIN_LIMITS.objectBytes)} netfence writes (the subject lists namespaces by name)` }], residual };
  }
  return { ok: true, object, table, residual, notes, surplus };
}
