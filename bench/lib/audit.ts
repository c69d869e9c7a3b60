/**
 * Counting an operator's writes from the control plane's audit log (JSON
 * lines, Metadata level, mutating verbs only). The benchmark makes no writes
 * of its own while it counts (but the profile create that starts a rollout,
 * which the caller leaves out); kube-controller-manager's requests are
 * excluded by user agent, and only the resources netfence writes are counted.
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";

interface AuditEvent {
  verb: string;
  userAgent?: string;
  objectRef?: { resource?: string; namespace?: string; name?: string; subresource?: string };
  responseStatus?: { code?: number };
  requestReceivedTimestamp: string;
}

/** The policy objects netfence writes: NetworkPolicies and its Admin-tier object (either kind). */
export const POLICY_RESOURCES: ReadonlySet<string> = new Set(["networkpolicies", "adminnetworkpolicies", "clusternetworkpolicies"]);
const OPERATOR_RESOURCES: ReadonlySet<string> = new Set([...POLICY_RESOURCES, "isolationprofiles", "events", "leases"]);

export interface Writes {
  total: number;
  /** By "verb resource[/sub]". */
  byKind: Record<string, number>;
  /** By resource (subresources counted with their resource). */
  byResource: Record<string, number>;
  /** Requests the API server answered with an error (still requests made). */
  failed: number;
}

/** The audit log's size now: count from here, so a long run's earlier lines are not read again. */
export function auditMark(auditLogPath: string): number {
  try {
    return statSync(auditLogPath).size;
  } catch {
    return 0;
  }
}

/** Each complete line of the file from byte `from` on, read in chunks (the log of a long run is hundreds of MB). */
function* linesFrom(path: string, from: number): Generator<string> {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return;
  }
  try {
    const chunk = Buffer.alloc(4 << 20);
    let position = from;
    let rest = "";
    for (;;) {
      const read = readSync(fd, chunk, 0, chunk.length, position);
      if (read === 0) break;
      position += read;
      const lines = (rest + chunk.toString("utf8", 0, read)).split("\n");
      rest = lines.pop() ?? "";
      yield* lines;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Mutating requests on netfence's resources received in [fromMs, toMs) (epoch
 * ms). `fromByte`: where to start reading (an `auditMark` taken before `fromMs`).
 */
export function operatorWrites(auditLogPath: string, fromMs: number, toMs: number, fromByte = 0): Writes {
  const out: Writes = { total: 0, byKind: {}, byResource: {}, failed: 0 };
  for (const line of linesFrom(auditLogPath, fromByte)) {
    if (!line) continue;
    const e = JSON.parse(line) as AuditEvent;
    const at = Date.parse(e.requestReceivedTimestamp);
    if (at < fromMs || at >= toMs) continue;
    const resource = e.objectRef?.resource ?? "";
    if (!OPERATOR_RESOURCES.has(resource) || (e.userAgent ?? "").includes("kube-controller-manager")) continue;
    if (resource === "leases" && e.objectRef?.namespace === "kube-system") continue; // the apiserver's own identity lease
    const kind = `${e.verb} ${resource}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ""}`;
    out.byKind[kind] = (out.byKind[kind] ?? 0) + 1;
    out.byResource[resource] = (out.byResource[resource] ?? 0) + 1;
    if ((e.responseStatus?.code ?? 0) >= 400) out.failed++;
    out.total++;
  }
  return out;
}
