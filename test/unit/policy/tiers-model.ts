/**
 * Builders for tier policy wire objects, in the spellings of each apiVersion:
 * ClusterNetworkPolicy v1beta1/v1alpha2 (`Accept`, `protocols`) and
 * AdminNetworkPolicy/BaselineAdminNetworkPolicy v1alpha1 (`Allow`, `ports`).
 */
import type { LabelSelector } from "../../../src/k8s/objects.js";

export const V1BETA1 = "policy.networking.k8s.io/v1beta1";
export const V1ALPHA2 = "policy.networking.k8s.io/v1alpha2";
export const V1ALPHA1 = "policy.networking.k8s.io/v1alpha1";

export type Wire = Record<string, unknown>;

export const sel = (ns: string): LabelSelector => ({ matchLabels: { ns } });
/** every pod of namespace `ns` (the model labels namespaces ns=<name>) */
export const inNs = (ns: string): Wire => ({ namespaces: sel(ns) });
export const everyNamespace: Wire = { namespaces: {} };
/** pods labelled pod=<pod> in namespace `ns` (every namespace when undefined) */
export const pods = (ns: string | undefined, pod: string): Wire => ({ pods: { namespaceSelector: ns === undefined ? {} : sel(ns), podSelector: { matchLabels: { pod } } } });
export const networks = (...cidrs: string[]): Wire => ({ networks: cidrs });

export const tcp = (number: number): Wire => ({ tcp: { destinationPort: { number } } });
export const udp = (number: number): Wire => ({ udp: { destinationPort: { number } } });
export const sctp = (number: number): Wire => ({ sctp: { destinationPort: { number } } });
export const tcpRange = (start: number, end: number): Wire => ({ tcp: { destinationPort: { range: { start, end } } } });
export const namedPort = (name: string): Wire => ({ destinationNamedPort: name });

export function ingress(action: string, from: Wire[], protocols?: Wire[], name?: string): Wire {
  return { ...(name === undefined ? {} : { name }), action, from, ...(protocols ? { protocols } : {}) };
}

export function egress(action: string, to: Wire[], protocols?: Wire[], name?: string): Wire {
  return { ...(name === undefined ? {} : { name }), action, to, ...(protocols ? { protocols } : {}) };
}

export interface Rules {
  ingress?: Wire[];
  egress?: Wire[];
}

export function cnp(name: string, tier: "Admin" | "Baseline", priority: number, subject: Wire, rules: Rules, apiVersion = V1BETA1): Wire {
  return { apiVersion, kind: "ClusterNetworkPolicy", metadata: { name }, spec: { tier, priority, subject, ...rules } };
}

export const admin = (name: string, priority: number, subject: Wire, rules: Rules): Wire => cnp(name, "Admin", priority, subject, rules);
export const baseline = (name: string, priority: number, subject: Wire, rules: Rules): Wire => cnp(name, "Baseline", priority, subject, rules);

/** v1beta1 `protocols` → v1alpha1 `ports`, `Accept` → `Allow`. */
function toV1alpha1Rule(rule: Wire): Wire {
  const { protocols, action, ...rest } = rule as { protocols?: Wire[]; action?: string } & Wire;
  const ports = protocols?.map((p): Wire => {
    if (typeof p.destinationNamedPort === "string") return { namedPort: p.destinationNamedPort };
    const [field, body] = Object.entries(p)[0] ?? ["tcp", {}];
    const protocol = field.toUpperCase();
    const port = (body as { destinationPort?: { number?: number; range?: { start: number; end: number } } }).destinationPort;
    if (port?.range) return { portRange: { protocol, start: port.range.start, end: port.range.end } };
    return { portNumber: { protocol, port: port?.number } };
  });
  return { ...rest, action: action === "Accept" ? "Allow" : action, ...(ports ? { ports } : {}) };
}

export function anp(name: string, priority: number, subject: Wire, rules: Rules): Wire {
  return {
    apiVersion: V1ALPHA1,
    kind: "AdminNetworkPolicy",
    metadata: { name },
    spec: { priority, subject, ...(rules.ingress ? { ingress: rules.ingress.map(toV1alpha1Rule) } : {}), ...(rules.egress ? { egress: rules.egress.map(toV1alpha1Rule) } : {}) },
  };
}

export function banp(subject: Wire, rules: Rules, name = "default"): Wire {
  return {
    apiVersion: V1ALPHA1,
    kind: "BaselineAdminNetworkPolicy",
    metadata: { name },
    spec: { subject, ...(rules.ingress ? { ingress: rules.ingress.map(toV1alpha1Rule) } : {}), ...(rules.egress ? { egress: rules.egress.map(toV1alpha1Rule) } : {}) },
  };
}

/** The same policy in another spelling: a v1beta1 CNP as v1alpha2, or as ANP/BANP v1alpha1. */
export function respell(policy: Wire, as: "v1alpha2" | "v1alpha1"): Wire {
  const spec = policy.spec as { tier: "Admin" | "Baseline"; priority: number; subject: Wire } & Rules;
  const name = (policy.metadata as { name: string }).name;
  if (as === "v1alpha2") return { ...policy, apiVersion: V1ALPHA2 };
  return spec.tier === "Admin" ? anp(name, spec.priority, spec.subject, spec) : banp(spec.subject, spec);
}
