/**
 * What the demo says about where each verdict comes from. A grid or a check is
 * either **predicted** (netfence's evaluator on the live cluster's
 * NetworkPolicies, no packet sent) or **measured** (real packets through the
 * data plane); only a measured line may say ping. Pure: the demo prints these.
 */
import type { Comparison } from "./walkthrough.js";

export interface ProtocolCheck extends Comparison {
  /** "ICMP" or "TCP/80": what was evaluated, never how (no "ping"). */
  protocol: string;
}

/** Said once, before the walk, when no packet will be sent. */
export function noPacketsNotice(reason: string): string {
  return `Real packets: not on this machine (${reason}); no packet is sent: every grid and check below is predicted by netfence from the NetworkPolicies the operator wrote.`;
}

/** Said once when the data plane was possible but did not start. */
export function packetsFailedNotice(reason: string): string {
  return `Real packets: the data plane did not start (${reason}); no packet is sent: every grid and check below is predicted by netfence from the NetworkPolicies the operator wrote.`;
}

/** A `netfence matrix` grid printed alone: it is the prediction. */
export function predictedGrid(table: string): string {
  return `predicted ${table}`;
}

/** One line for a step: each protocol's predicted grid against the walkthrough, then one line per mismatch. */
export function predictedCheckLines(checks: readonly ProtocolCheck[]): string[] {
  const ok = (c: ProtocolCheck) => c.mismatches.length === 0 && c.total > 0;
  return [
    checks.map((c) => `${ok(c) ? "✓" : "✗"} predicted ${c.protocol}: ${String(c.matched)}/${String(c.total)} pairs as in the walkthrough`).join("   "),
    ...checks.flatMap((c) => c.mismatches.map((m) => `  ✗ predicted ${c.protocol} ${m}`)),
  ];
}

/** The last lines: the predicted count, and the measured one only when packets were sent. */
export function summaryLines(states: number, predictedMatched: number, packetMatched: number | undefined): string[] {
  return [
    `walkthrough reproduced in netfence's prediction: ${String(predictedMatched)}/${String(states)} states match`,
    ...(packetMatched === undefined ? [] : [`walkthrough reproduced with real packets: ${String(packetMatched)}/${String(states)} states`]),
  ];
}
