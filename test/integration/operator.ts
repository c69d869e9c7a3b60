/**
 * The operator as a black box: `netfence run` started as its own process
 * against the run's control plane (src/controlplane/operator.ts), with the
 * test's namespace, profile selector and debug logs.
 */
import { readFileSync } from "node:fs";
import * as k8s from "@kubernetes/client-node";
import { OperatorProcess } from "../../src/controlplane/operator.js";
import { eventually, kubeConfig, kubeconfigPath, uniqueName } from "./helpers.js";
import type { AuditRecord } from "../unit/packaging/rbac.js";

export interface OperatorOptions {
  /** netfence's own namespace (Lease, never isolated). */
  namespace: string;
  /** Only profiles with this label selector: keeps concurrently running test files apart. */
  profileSelector: string;
  leaderElect?: boolean;
  extraArgs?: string[];
  kubeconfig?: string;
  /**
   * "detect": netfence detects the data plane as in a cluster (Calico's
   * ClusterInformation). Default: declared to enforce NetworkPolicy only, so a
   * data plane another test file brought up on the shared control plane does
   * not move this file's profiles into the Admin tier (unless extraArgs declare).
   */
  dataPlane?: "detect";
}

const CONTROLLER_TESTS_PLANE = ["--data-plane=test-control-plane", "--data-plane-enforces=NetworkPolicy"];

export type Operator = OperatorProcess;

export const Operator = {
  start(options: OperatorOptions): Promise<Operator> {
    return OperatorProcess.start({
      kubeconfig: options.kubeconfig ?? kubeconfigPath(),
      namespace: options.namespace,
      logLevel: "debug",
      args: [
        `--profile-selector=${options.profileSelector}`,
        ...(options.leaderElect ? ["--leader-elect"] : []),
        ...(options.dataPlane === "detect" || (options.extraArgs ?? []).some((a) => a.startsWith("--data-plane")) ? [] : CONTROLLER_TESTS_PLANE),
        ...(options.extraArgs ?? []),
      ],
    });
  },
};

export interface AuditEvent extends AuditRecord {
  requestReceivedTimestamp: string;
}

/** The audit log of the run's control plane (global setup). */
function sharedAuditLog(): string {
  const path = process.env.NETFENCE_TEST_AUDIT_LOG;
  if (!path) throw new Error("NETFENCE_TEST_AUDIT_LOG is not set");
  return path;
}

/**
 * Requests recorded by a control plane's audit log (flushed about every
 * second): mutating ones, and every request of the users it audits in full.
 * Default: the run's shared control plane.
 */
export function auditEvents(filter: (e: AuditEvent) => boolean, path = sharedAuditLog()): AuditEvent[] {
  let text = "";
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditEvent)
    .filter(filter);
}

/**
 * A positive signal that the audit log holds every request made before this
 * call: writes a marker (a ConfigMap in "default", deleted again) and waits
 * until its create shows up. The log is flushed in order, in batches, so
 * "nothing was written" can be asserted without a fixed sleep. Default: the
 * run's shared control plane; pass another plane's admin kubeconfig and log.
 */
export async function auditMark(kc: k8s.KubeConfig = kubeConfig(), path = sharedAuditLog()): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const name = uniqueName("audit-mark");
  await core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name } } });
  await eventually(
    () => Promise.resolve(auditEvents((e) => e.verb === "create" && e.objectRef?.resource === "configmaps" && e.objectRef.name === name, path).length > 0 ? true : undefined),
    "the audit marker in the audit log",
  );
  await core.deleteNamespacedConfigMap({ namespace: "default", name }).catch(() => undefined);
}
