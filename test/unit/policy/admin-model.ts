/**
 * Profiles for the Admin-tier render, every preset × selection × option, and
 * the small world they are evaluated on: the e2e netpol model (x, y, z; pods
 * a, b, c) with namespaces labelled as the API server does
 * (kubernetes.io/metadata.name) plus team=a on x and y, team=b on z, and
 * kube-system with a cluster DNS pod. Shared by the unit tests and the
 * integration test that has the API server admit every render.
 */
import { parseProfile } from "../../../src/api/parse.js";
import type { ParsedProfile } from "../../../src/api/types.js";
import type { Namespace, Pod } from "../../../src/k8s/objects.js";
import type { ClusterState } from "../../../src/policy/reachability.js";
import { modelCluster } from "./reachability-model.js";

export const TEAMS: Record<string, string> = { x: "a", y: "a", z: "b" };

/** x, y, z and kube-system, labelled as the API server does, with their pods (DNS at 10.1.9.1). */
export function adminWorld(): ClusterState {
  const base = modelCluster([], {}, Object.fromEntries(Object.entries(TEAMS).map(([ns, team]) => [ns, { "kubernetes.io/metadata.name": ns, team }])));
  const kubeSystem: Namespace = { metadata: { name: "kube-system", labels: { "kubernetes.io/metadata.name": "kube-system" } } };
  const dns: Pod = {
    metadata: { name: "coredns", namespace: "kube-system", labels: { "k8s-app": "kube-dns" } },
    spec: { containers: [{ name: "dns", ports: [{ name: "dns", containerPort: 53, protocol: "UDP" }, { name: "dns-tcp", containerPort: 53, protocol: "TCP" }] }] },
    status: { podIP: "10.1.9.1", podIPs: [{ ip: "10.1.9.1" }] },
  };
  return { ...base, namespaces: [...base.namespaces, kubeSystem], pods: [...base.pods, dns] };
}

export const SELECTIONS: [string, Record<string, unknown>][] = [
  ["labels", { namespaces: { selector: { matchLabels: { team: "a" } } } }],
  ["labels minus an exclude glob", { namespaces: { selector: {}, exclude: ["z*"] } }],
  ["one name", { namespaces: { names: ["x"] } }],
  ["names", { namespaces: { names: ["x", "z"] } }],
  ["a glob", { namespaces: { names: ["?"], exclude: ["y"] } }],
  ["names and labels (a union)", { namespaces: { names: ["z"], selector: { matchLabels: { team: "a" } } } }],
  ["a podSelector in one namespace", { namespaces: { names: ["x"] }, podSelector: { matchLabels: { pod: "a" } } }],
  ["a podSelector by labels", { namespaces: { selector: { matchLabels: { team: "a" } } }, podSelector: { matchExpressions: [{ key: "pod", operator: "In", values: ["a", "b"] }] } }],
];

export const OPTIONS: [string, Record<string, unknown>][] = [
  ["deny-ingress", { preset: "deny-ingress" }],
  ["deny-ingress with ports only", { preset: "deny-ingress", ports: [{ port: 80 }, { port: 53, protocol: "UDP" }] }],
  ["deny-egress with DNS", { preset: "deny-egress" }],
  ["deny-egress without DNS", { preset: "deny-egress", allowDNS: false }],
  [
    "deny-egress with allowances",
    {
      preset: "deny-egress",
      egress: [
        { to: [{ namespaceSelector: { matchLabels: { team: "b" } } }], ports: [{ port: 80 }, { port: 81, protocol: "UDP" }] },
        { to: [{ ipBlock: { cidr: "192.0.2.0/24" } }, { podSelector: { matchLabels: { pod: "b" } } }] },
        { ports: [{ port: 8000, endPort: 8100 }] },
      ],
    },
  ],
  ["deny-egress to an ipBlock with except (pods by IP)", { preset: "deny-egress", allowDNS: false, egress: [{ to: [{ ipBlock: { cidr: "10.1.2.0/24", except: ["10.1.2.3/32"] } }] }] }],
  ["deny-egress to a named port", { preset: "deny-egress", egress: [{ to: [{ namespaceSelector: {} }], ports: [{ port: "serve-80-tcp" }] }] }],
  ["deny-all", { preset: "deny-all" }],
  ["deny-all without DNS, allowed peers and ports", { preset: "deny-all", allowDNS: false, allowedPeers: [{ namespaceSelector: { matchLabels: { team: "b" } }, podSelector: { matchLabels: { pod: "c" } } }], ports: [{ port: 80 }] }],
  ["allow-same-namespace", { preset: "allow-same-namespace" }],
  ["allow-same-namespace with ports", { preset: "allow-same-namespace", ports: [{ port: 80, endPort: 81 }] }],
  ["allow-by-label by pod", { preset: "allow-by-label", allowedPeers: [{ podSelector: { matchLabels: { pod: "b" } } }] }],
  ["allow-by-label by namespace", { preset: "allow-by-label", allowedPeers: [{ namespaceSelector: { matchLabels: { team: "b" } } }] }],
  ["allow-by-label by ipBlock covering pods", { preset: "allow-by-label", allowedPeers: [{ ipBlock: { cidr: "10.1.0.0/16", except: ["10.1.1.2/32"] } }] }],
  ["allow-by-label by ipBlock with ports", { preset: "allow-by-label", allowedPeers: [{ ipBlock: { cidr: "192.0.2.0/24" } }, { podSelector: {} }], ports: [{ port: 81 }] }],
  ["allow-by-label on a named port", { preset: "allow-by-label", allowedPeers: [{ namespaceSelector: {} }], ports: [{ port: "serve-81-tcp" }] }],
];

export interface AdminCase {
  name: string;
  spec: Record<string, unknown>;
}

/** Every option under every selection. */
export const ADMIN_CASES: AdminCase[] = OPTIONS.flatMap(([option, o]) => SELECTIONS.map(([selection, s]) => ({ name: `${option}, ${selection}`, spec: { ...o, ...s } })));

/** `uid: null`: a profile read from a file, which has none. */
export function parsedProfile(spec: Record<string, unknown>, name = "p", uid: string | null = "uid-1"): ParsedProfile {
  const result = parseProfile({ apiVersion: "netfence.io/v1alpha1", kind: "IsolationProfile", metadata: uid === null ? { name } : { name, uid }, spec });
  if (!result.ok) throw new Error(`${name}: ${JSON.stringify(result.issues)}`);
  return result.value;
}
