import { describeSelector, explainPod, type DirectionExplanation, type PodExplanation, type RuleExplanation } from "../policy/reach-explain.js";
import { UsageError, type Command } from "./command.js";
import { endpointOf, INPUT_OPTIONS, loadInputs, printNotes, type InputValues } from "./inputs.js";

interface Values extends InputValues {
  to?: string;
  output?: string;
}

const MAX_PODS_SHOWN = 10;

function podList(pods: readonly string[]): string {
  if (pods.length === 0) return "no pods";
  const shown = pods.slice(0, MAX_PODS_SHOWN).join(", ");
  return pods.length > MAX_PODS_SHOWN ? `${shown}, … (${String(pods.length)} pods)` : shown;
}

function ruleLines(rule: RuleExplanation, direction: "Ingress" | "Egress"): string[] {
  const field = direction === "Ingress" ? "from" : "to";
  const pad = " ".repeat(rule.field.length + 2);
  const peers =
    rule.peers === undefined
      ? [`${field} everyone (no ${field}: every pod and every outside address)`]
      : rule.peers.map((p) => `${field} ${p.description} → ${podList(p.pods)}${p.outside ? " (and outside addresses in the block)" : ""}`);
  return [`${rule.field}  ${peers[0] ?? ""}`, ...peers.slice(1).map((l) => `${pad}${l}`), `${pad}ports: ${rule.ports}`];
}

function directionLines(direction: "Ingress" | "Egress", explanation: DirectionExplanation): string[] {
  const verb = direction === "Ingress" ? "reach it" : "leave it";
  if (!explanation.isolated) {
    return [`${direction}: not isolated — no NetworkPolicy selects it with policyType ${direction}; all traffic may ${verb}`];
  }
  const count = explanation.policies.length;
  const lines = [`${direction}: isolated by ${String(count)} NetworkPolic${count === 1 ? "y" : "ies"} — only what these rules admit may ${verb} (rules are unioned)`];
  for (const policy of explanation.policies) {
    lines.push(`  ${policy.key}  (podSelector ${policy.podSelector}; policyTypes ${policy.types.join(", ")})`);
    if (policy.rules.length === 0) lines.push(`    no ${direction.toLowerCase()} rules: admits nothing`);
    for (const rule of policy.rules) lines.push(...ruleLines(rule, direction).map((l) => `    ${l}`));
  }
  return lines;
}

export function formatExplanation(e: PodExplanation): string {
  const ns = e.pod.split("/")[0] ?? "";
  return [
    `Pod ${e.pod}`,
    `  labels:     ${describeSelector({ matchLabels: e.labels }).replace("<all>", "<none>")}`,
    `  IPs:        ${e.ips.join(", ") || "<none> (ipBlock peers cannot match it)"}`,
    `  ports:      ${e.ports.join(", ") || "<none>"}`,
    `  namespace:  ${ns} (${describeSelector({ matchLabels: e.namespaceLabels })})`,
    "",
    ...directionLines("Ingress", e.ingress),
    "",
    ...directionLines("Egress", e.egress),
  ].join("\n");
}

export const explainCommand: Command<Values> = {
  name: "explain",
  summary: "Show which NetworkPolicies isolate a pod (ingress and egress) and which pods, addresses and ports each of their rules admits.",
  options: {
    ...INPUT_OPTIONS,
    to: { type: "string", valueName: "ns/pod", description: "the pod to explain" },
    output: { type: "string", short: "o", valueName: "text|json", description: "output format", default: "text" },
  },
  async run(values) {
    const output = values.output ?? "text";
    if (output !== "text" && output !== "json") throw new UsageError(`-o ${output}: expected text or json`);
    if (values.to === undefined) throw new UsageError("--to is required (namespace/pod)");
    const loaded = await loadInputs(values);
    printNotes(loaded);
    const endpoint = endpointOf(loaded.index, values.to, "--to");
    if (endpoint.kind !== "pod") throw new UsageError(`--to ${values.to}: an address outside the cluster has no NetworkPolicies; name a pod (namespace/pod)`);
    const explanation = explainPod(loaded.index, endpoint.pod);
    if (!explanation) throw new UsageError(`--to ${values.to}: unknown pod`);
    console.log(output === "json" ? JSON.stringify(explanation, null, 2) : formatExplanation(explanation));
    return 0;
  },
};
