import { describeVerdict } from "../policy/reach-explain.js";
import { describeTraffic } from "../policy/ports.js";
import { isPossibleOnly } from "../policy/tiers-explain.js";
import { evaluate, type Evaluation } from "../policy/reachability.js";
import { command, UsageError } from "./command.js";
import { endpointOf, INPUT_OPTIONS, loadInputs, parseTraffic, printNotes, TRAFFIC_OPTIONS } from "./inputs.js";

/** The answer and its reasons, one side per block. */
export function formatCheck(result: Evaluation, describe: (verdict: Evaluation["egress"]) => string[]): string {
  const traffic = result.resolved && result.traffic.protocol !== "ICMP" && typeof result.traffic.port === "string" ? `${describeTraffic(result.resolved)} (${result.traffic.port})` : describeTraffic(result.traffic);
  // A verdict resting on an unreadable tier policy or a same-priority conflict is only possible.
  const possibly = isPossibleOnly(result.egress) || isPossibleOnly(result.ingress) ? "possibly " : "";
  const lines = [`${possibly}${result.allowed ? "allowed" : "denied"}: ${result.from} → ${result.to} ${traffic}`];
  if (result.egress.reason === "unresolved-port" && result.traffic.protocol !== "ICMP") {
    lines.push(`  ${result.to} has no ${result.traffic.protocol} container port named ${String(result.traffic.port)}`);
    return lines.join("\n");
  }
  if (result.egress.reason === "self") {
    lines.push(`  ${describe(result.egress).join("\n  ")}`);
    return lines.join("\n");
  }
  for (const verdict of [result.egress, result.ingress]) {
    const side = verdict.direction === "Egress" ? "egress of" : "ingress of";
    const mark = verdict.allowed ? "✓" : "✗";
    const [first = "", ...rest] = describe(verdict);
    lines.push(`  ${mark} ${side} ${verdict.endpoint}: ${first}`, ...rest.map((l) => `      ${l}`));
  }
  return lines.join("\n");
}

export const checkCommand = command({
  name: "check",
  summary: "Say whether one pod (or IP) may reach another under the Admin tier, the NetworkPolicies and the Baseline tier, and why. Exit 0 allowed, 1 denied, 2 usage or input error.",
  options: {
    ...INPUT_OPTIONS,
    from: { type: "string", valueName: "ns/pod|IP", description: "the source" },
    to: { type: "string", valueName: "ns/pod|IP", description: "the destination" },
    ...TRAFFIC_OPTIONS,
    port: { ...TRAFFIC_OPTIONS.port, description: "destination port or container port name of the destination pod (default 80; not with ICMP)" },
  },
  async run(values) {
    const traffic = parseTraffic(values);
    if (values.from === undefined || values.to === undefined) {
      throw new UsageError("--from and --to are required (namespace/pod or an IP address)");
    }
    const loaded = await loadInputs(values);
    printNotes(loaded);
    const from = endpointOf(loaded.index, values.from, "--from");
    const to = endpointOf(loaded.index, values.to, "--to");
    const result = evaluate(loaded.index, from, to, traffic);
    const peerOf = (direction: string): string => (direction === "Egress" ? result.to : result.from);
    console.log(formatCheck(result, (v) => describeVerdict(loaded.index, v, peerOf(v.direction), describeTraffic(result.resolved ?? traffic))));
    return result.allowed ? 0 : 1;
  },
});
