import { requestProbe } from "../dataplane/probe-server.js";
import type { ProbeProtocol } from "../dataplane/protocol.js";
import { command, UsageError } from "./command.js";

const PROTOCOLS: readonly ProbeProtocol[] = ["TCP", "UDP", "ICMP"];

function isProbeProtocol(text: string): text is ProbeProtocol {
  return (PROTOCOLS as readonly string[]).includes(text);
}

/** `netfence probe`: one probe by real packets on the running `netfence dataplane up`. */
export const probeCommand = command({
  name: "probe",
  summary: "Send real packets between two pods of the running `netfence dataplane up` and print allowed or denied (exit 0 / 1).",
  options: {
    from: { type: "string", valueName: "ns/pod", description: "source pod" },
    to: { type: "string", valueName: "ns/pod|ip", description: "destination pod, or an address in the pod range" },
    protocol: { type: "string", valueName: "TCP|UDP|ICMP", description: "protocol", default: "TCP" },
    port: { type: "string", valueName: "port", description: "destination port (TCP, UDP)", default: "80" },
  },
  async run(values) {
    if (!values.from || !values.to) throw new UsageError("--from and --to are required");
    const protocol = (values.protocol ?? "TCP").toUpperCase();
    if (!isProbeProtocol(protocol)) throw new UsageError(`--protocol ${values.protocol ?? ""}: expected TCP, UDP or ICMP`);
    const port = Number(values.port ?? "80");
    if (protocol !== "ICMP" && (!Number.isInteger(port) || port < 1 || port > 65535)) throw new UsageError(`--port ${values.port ?? ""}: expected 1-65535`);
    const answer = await requestProbe({ from: values.from, to: values.to, protocol, ...(protocol === "ICMP" ? {} : { port }) });
    if (!answer.ok) throw new Error(answer.error);
    const { result } = answer;
    const what = protocol === "ICMP" ? "ICMP echo" : `${protocol}/${String(port)}`;
    console.log(`${result.from} → ${result.to} ${what}: ${result.allowed ? "allowed" : "denied"} (${result.detail}${result.attempts > 1 ? `, confirmed by a second probe` : ""})`);
    return result.allowed ? 0 : 1;
  },
});
