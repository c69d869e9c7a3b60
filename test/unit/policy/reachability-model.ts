/**
 * The Kubernetes e2e netpol model (test/e2e/network/netpol): namespaces x, y, z
 * each labelled ns=<name>, pods a, b, c in each labelled pod=<name>, every pod
 * serving 80 and 81 on TCP, UDP and SCTP through ports named serve-<port>-<proto>.
 * Pod IPs: 10.1.<ns 0..2>.<pod 1..3>.
 */
import type { LabelSelector, Namespace, NetworkPolicy, NetworkPolicySpec, Pod, Protocol } from "../../../src/k8s/objects.js";
import type { ClusterState } from "../../../src/policy/reachability.js";

export const NAMESPACES = ["x", "y", "z"] as const;
export const PODS = ["a", "b", "c"] as const;
export type Ns = (typeof NAMESPACES)[number];
export type PodName = (typeof PODS)[number];
export interface PodId {
  ns: Ns;
  pod: PodName;
}

export const ALL_PODS: PodId[] = NAMESPACES.flatMap((ns) => PODS.map((pod) => ({ ns, pod })));

export function key(p: PodId): string {
  return `${p.ns}/${p.pod}`;
}

export function ipOf(p: PodId): string {
  return `10.1.${NAMESPACES.indexOf(p.ns)}.${PODS.indexOf(p.pod) + 1}`;
}

const PROTOCOLS: Protocol[] = ["TCP", "UDP", "SCTP"];

export function modelCluster(policies: NetworkPolicy[] = [], podLabels: Record<string, Record<string, string>> = {}, nsLabels: Record<string, Record<string, string>> = {}): ClusterState {
  const namespaces: Namespace[] = NAMESPACES.map((ns) => ({ metadata: { name: ns, labels: { ns, ...nsLabels[ns] } } }));
  const pods: Pod[] = ALL_PODS.map((p) => ({
    metadata: { name: p.pod, namespace: p.ns, labels: { pod: p.pod, ...podLabels[key(p)] } },
    spec: {
      containers: [80, 81].flatMap((port) =>
        PROTOCOLS.map((protocol) => ({
          name: `cont-${port}-${protocol.toLowerCase()}`,
          ports: [{ name: `serve-${port}-${protocol.toLowerCase()}`, containerPort: port, protocol }],
        })),
      ),
    },
    status: { podIP: ipOf(p), podIPs: [{ ip: ipOf(p) }] },
  }));
  return { namespaces, pods, policies };
}

export function policy(namespace: Ns, name: string, spec: Partial<NetworkPolicySpec> & { podSelector?: LabelSelector }): NetworkPolicy {
  return { metadata: { name, namespace }, spec: { podSelector: {}, ...spec } };
}
