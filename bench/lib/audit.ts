/**
 * Counting an operator's writes from the control plane's audit log (JSON
 * lines, Metadata level, mutating verbs only). The benchmark makes no writes
 * of its own while it counts; kube-controller-manager's requests are excluded
 * by user agent, and only the resources netfence writes are counted.
 */
import { readFileSync } from "node:fs";

interface AuditEvent {
  verb: string;
  userAgent?: string;
  objectRef?: { resource?: string; namespace?: string; name?: string; subresource?: string };
  requestReceivedTimestamp: string;
}

const OPERATOR_RESOURCES = new Set(["networkpolicies", "isolationprofiles", "events", "leases"]);

/** Mutating requests on netfence's resources received in [fromMs, toMs) (epoch ms), by "verb resource[/sub]". */
export function operatorWrites(auditLogPath: string, fromMs: number, toMs: number): { total: number; byKind: Record<string, number> } {
  let text = "";
  try {
    text = readFileSync(auditLogPath, "utf8");
  } catch {
    return { total: 0, byKind: {} };
  }
  const byKind: Record<string, number> = {};
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line) continue;
    const e = JSON.parse(line) as AuditEvent;
    const at = Date.parse(e.requestReceivedTimestamp);
    if (at < fromMs || at >= toMs) continue;
    if (!OPERATOR_RESOURCES.has(e.objectRef?.resource ?? "") || (e.userAgent ?? "").includes("kube-controller-manager")) continue;
    if (e.objectRef?.resource === "leases" && e.objectRef.namespace === "kube-system") continue; // the apiserver's own identity lease
    const kind = `${e.verb} ${e.objectRef?.resource ?? ""}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ""}`;
    byKind[kind] = (byKind[kind] ?? 0) + 1;
    total++;
  }
  return { total, byKind };
}
