/**
 * Names of everything a data-plane run creates on the machine. Network
 * namespaces carry the run's prefix (`nfdp-<run>-<n>`) so a later run finds what
 * a crashed one left; the pod range's blackhole route carries netfence's route
 * protocol number. Host veth ends must be named as Calico CNI names them
 * (felix drops traffic of `cali*` interfaces it cannot map to a pod), so they
 * are found through their namespace: deleting the namespace deletes the pair.
 */
import { createHash, randomBytes } from "node:crypto";

/** Prefix of every network namespace a run creates. */
export const NETNS_PREFIX = "nfdp-";
/** `proto` of the routes netfence adds (iproute2 leaves 86 unassigned). */
export const ROUTE_PROTO = "86";
/** Machine-wide directory of the active run's record (cleared by a reboot, like namespaces and routes). */
export const RUN_DIR = "/run/netfence/dataplane";

export function newRunId(): string {
  return randomBytes(3).toString("hex");
}

/** `cali` + the first 11 hex characters of sha1("<namespace>.<pod>"), as Calico CNI names the host end. */
export function vethName(namespace: string, pod: string): string {
  return `cali${createHash("sha1").update(`${namespace}.${pod}`).digest("hex").slice(0, 11)}`;
}

export function netnsName(runId: string, index: number): string {
  return `${NETNS_PREFIX}${runId}-${String(index)}`;
}

/** The run id of a namespace netfence created, or undefined for anybody else's. */
export function runOfNetns(name: string): string | undefined {
  return /^nfdp-([0-9a-f]{6})-\d+$/.exec(name)?.[1];
}

/** The Kubernetes Node felix runs as. */
export function nodeName(runId: string): string {
  return `netfence-dataplane-${runId}`;
}
