import { PROTOCOLS, type ContainerPort, type NetworkPolicyPort, type Protocol } from "../k8s/objects.js";

/** What a probe sends: ICMP (ping, no port) or a port of a NetworkPolicy protocol. */
export type TrafficProtocol = Protocol | "ICMP";

/** A probe's traffic. `port` may be a container port name, resolved on the destination pod. */
export type Traffic = { protocol: "ICMP" } | { protocol: Protocol; port: number | string };

/** Traffic after the destination resolved a named port: a concrete number. */
export type ResolvedTraffic = { protocol: "ICMP" } | { protocol: Protocol; port: number };

export const TRAFFIC_PROTOCOLS: readonly TrafficProtocol[] = [...PROTOCOLS, "ICMP"];

export function isTrafficProtocol(text: string): text is TrafficProtocol {
  return (TRAFFIC_PROTOCOLS as readonly string[]).includes(text);
}

/** The number a named container port has on a pod for a protocol, or undefined. */
export function resolveNamedPort(name: string, protocol: Protocol, containerPorts: readonly ContainerPort[]): number | undefined {
  return containerPorts.find((p) => p.name === name && (p.protocol ?? "TCP") === protocol)?.containerPort;
}

/**
 * Resolves the probe's port on the destination: a number stays, a name is looked
 * up in the destination's container ports (undefined when it has no such port or
 * the destination is not a pod).
 */
export function resolveTraffic(traffic: Traffic, containerPorts: readonly ContainerPort[] | undefined): ResolvedTraffic | undefined {
  if (traffic.protocol === "ICMP" || typeof traffic.port === "number") return traffic as ResolvedTraffic;
  const port = resolveNamedPort(traffic.port, traffic.protocol, containerPorts ?? []);
  return port === undefined ? undefined : { protocol: traffic.protocol, port };
}

/**
 * Whether one NetworkPolicyPort admits the traffic. ICMP matches no port entry
 * (only a rule without ports admits it). A missing protocol means TCP; a missing
 * port means every port of the protocol; endPort makes an inclusive range; a named
 * port is resolved against the destination pod's container ports and must agree
 * on protocol (a destination outside the cluster has no named ports).
 */
export function portEntryMatches(entry: NetworkPolicyPort, traffic: ResolvedTraffic, destinationPorts: readonly ContainerPort[] | undefined): boolean {
  if (traffic.protocol === "ICMP") return false;
  if ((entry.protocol ?? "TCP") !== traffic.protocol) return false;
  if (entry.port === undefined) return true;
  if (typeof entry.port === "number") {
    return entry.endPort === undefined ? traffic.port === entry.port : traffic.port >= entry.port && traffic.port <= entry.endPort;
  }
  return resolveNamedPort(entry.port, traffic.protocol, destinationPorts ?? []) === traffic.port;
}

/** True when the entry's outcome depends on the destination pod (a named port). */
export function isNamedPortEntry(entry: NetworkPolicyPort): boolean {
  return typeof entry.port === "string";
}

export function describeTraffic(traffic: Traffic | ResolvedTraffic): string {
  return traffic.protocol === "ICMP" ? "ICMP" : `${traffic.protocol}/${String(traffic.port)}`;
}

export function describePortEntry(entry: NetworkPolicyPort): string {
  const protocol = entry.protocol ?? "TCP";
  if (entry.port === undefined) return `${protocol}/*`;
  if (entry.endPort !== undefined) return `${protocol}/${String(entry.port)}-${String(entry.endPort)}`;
  return `${protocol}/${String(entry.port)}`;
}
