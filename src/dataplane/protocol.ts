/** What the parent and a pod's agent (agent.ts) exchange, one JSON object a line. */
export type ProbeProtocol = "TCP" | "UDP" | "ICMP";

export interface ProbeRequest {
  id: number;
  protocol: ProbeProtocol;
  ip: string;
  /** TCP and UDP only. */
  port?: number;
  timeoutMs: number;
}

export interface ProbeAnswer {
  id: number;
  allowed: boolean;
  /** "connected", "timeout", "echo reply", … */
  detail: string;
}

/** TCP ports every agent listens on, and UDP ports it echoes on. */
export const AGENT_TCP_PORTS = [80, 81, 8080] as const;
export const AGENT_UDP_PORTS = [80, 53] as const;
