/**
 * The operator as a black box: `netfence run` started as its own process
 * against the run's control plane (src/controlplane/operator.ts), with the
 * test's namespace, profile selector and debug logs.
 */
import { readFileSync } from "node:fs";
import { OperatorProcess } from "../../src/controlplane/operator.js";
import { kubeconfigPath } from "./helpers.js";

export interface OperatorOptions {
  /** netfence's own namespace (Lease, never isolated). */
  namespace: string;
  /** Only profiles with this label selector: keeps concurrently running test files apart. */
  profileSelector: string;
  leaderElect?: boolean;
  extraArgs?: string[];
  kubeconfig?: string;
}

export type Operator = OperatorProcess;

export const Operator = {
  start(options: OperatorOptions): Promise<Operator> {
    return OperatorProcess.start({
      kubeconfig: options.kubeconfig ?? kubeconfigPath(),
      namespace: options.namespace,
      logLevel: "debug",
      args: [`--profile-selector=${options.profileSelector}`, ...(options.leaderElect ? ["--leader-elect"] : []), ...(options.extraArgs ?? [])],
    });
  },
};

export interface AuditEvent {
  verb: string;
  requestURI: string;
  user: { username: string };
  objectRef?: { resource?: string; namespace?: string; name?: string; subresource?: string; apiGroup?: string };
  responseStatus?: { code?: number };
  requestReceivedTimestamp: string;
}

/** Mutating requests recorded by the control plane's audit log (flushed about every second). */
export function auditEvents(filter: (e: AuditEvent) => boolean): AuditEvent[] {
  const path = process.env.NETFENCE_TEST_AUDIT_LOG;
  if (!path) throw new Error("NETFENCE_TEST_AUDIT_LOG is not set");
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
