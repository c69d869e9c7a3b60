/**
 * A probe: (from pod, to pod or address, protocol, port) → allowed | denied, by
 * real packets sent from the source pod's agent. Denied costs a timeout, so
 * timeouts are short; a denied result is probed once more (with a longer
 * timeout) to rule out a lost packet.
 */
import type { PodAgent } from "./pod-agent.js";
import type { ProbeProtocol } from "./protocol.js";

export interface ProbeSpec {
  /** "namespace/pod" of the data plane. */
  from: string;
  /** "namespace/pod" of the data plane, or an address in its pod range. */
  to: string;
  protocol: ProbeProtocol;
  /** TCP and UDP. */
  port?: number;
}

export interface ProbeResult extends ProbeSpec {
  allowed: boolean;
  detail: string;
  /** Probes sent (2 when a denied result was confirmed). */
  attempts: number;
}

export const PROBE_TIMEOUT_MS = 400;

export async function probeWithRetry(agent: PodAgent, spec: ProbeSpec, ip: string, options: { retryDenied?: boolean; timeoutMs?: number } = {}): Promise<ProbeResult> {
  const timeoutMs = options.timeoutMs ?? PROBE_TIMEOUT_MS;
  const send = (ms: number) => agent.probe({ protocol: spec.protocol, ip, ...(spec.protocol === "ICMP" ? {} : { port: spec.port ?? 80 }), timeoutMs: ms });
  const first = await send(timeoutMs);
  if (first.allowed || options.retryDenied === false) return { ...spec, allowed: first.allowed, detail: first.detail, attempts: 1 };
  const second = await send(timeoutMs * 2);
  return { ...spec, allowed: second.allowed, detail: second.detail, attempts: 2 };
}
