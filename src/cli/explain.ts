import { bypassVerdict, formatBypass, type NamespaceVerdict } from "../policy/bypass.js";
import { generatedFor } from "../policy/ownership.js";
import type { NetworkPolicy, PolicyType } from "../k8s/objects.js";
import { describeSelector, explainPod, type DirectionExplanation, type PodExplanation, type RuleExplanation } from "../policy/reach-explain.js";
import type { TierPolicyExplanation } from "../policy/tiers-explain.js";
import { effectivePolicyTypes, type ReachabilityIndex } from "../policy/reachability.js";
import { command, UsageError } from "./command.js";
import { endpointOf, INPUT_OPTIONS, loadInputs, printNotes } from "./inputs.js";

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

function tierPolicyLines(label: string, policies: readonly TierPolicyExplanation[], direction: "Ingress" | "Egress"): string[] {
  if (policies.length === 0) return [];
  const field = direction === "Ingress" ? "from" : "to";
  const lines = [`  ${label}: ${String(policies.length)} polic${policies.length === 1 ? "y" : "ies"}, in order — the first matching rule decides (Accept, Deny; Pass skips the rest of the tier)`];
  for (const policy of policies) {
    lines.push(`    ${policy.key}${policy.priority === undefined ? "" : ` (priority ${String(policy.priority)})`}  subject: ${policy.subject}`);
    for (const rule of policy.rules) {
      lines.push(`      ${rule.field}  ${rule.action}`);
      for (const peer of rule.peers) lines.push(`        ${field} ${peer.description} → ${podList(peer.pods)}${peer.outside ? " (and outside addresses in the networks)" : ""}`);
      lines.push(`        protocols: ${rule.ports}`);
    }
  }
  return lines;
}

function directionLines(direction: "Ingress" | "Egress", explanation: DirectionExplanation): string[] {
  const [head = "", ...rest] = networkPolicyLines(direction, explanation);
  const admin = tierPolicyLines("Admin tier (before the NetworkPolicies)", explanation.admin, direction);
  const baseline = tierPolicyLines("Baseline tier (only when no NetworkPolicy isolates it)", explanation.baseline, direction);
  const note = admin.length + baseline.length > 0 ? ["  NetworkPolicies (when the Admin tier decides nothing):"] : [];
  return [head, ...admin, ...note, ...rest, ...baseline];
}

function networkPolicyLines(direction: "Ingress" | "Egress", explanation: DirectionExplanation): string[] {
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

/** One profile's policy in the namespace and whether its isolation holds. */
export interface ProfileVerdict {
  /** The profile, as its policy's netfence.io/profile label names it. */
  profile: string;
  /** "namespace/name" of the profile's generated policy. */
  policy: string;
  podSelector: string;
  isolates: PolicyType[];
  verdict: NamespaceVerdict;
}

export interface NamespaceExplanation {
  namespace: string;
  /** Every NetworkPolicy in the namespace, "namespace/name". */
  policies: string[];
  profiles: ProfileVerdict[];
}

/** The verdict of every netfence profile policy in the namespace against all the others there. */
export function explainNamespace(index: ReachabilityIndex, namespace: string): NamespaceExplanation {
  const policies: NetworkPolicy[] = index.policies.filter((p) => p.namespace === namespace).map((p) => p.policy);
  const profiles = policies.flatMap((desired): ProfileVerdict[] => {
    const profile = generatedFor(desired);
    if (profile === undefined) return [];
    const input = { profileName: profile.name, namespace, namespaceLabels: index.namespaceLabels.get(namespace), desired, policies };
    return [
      {
        profile: profile.name,
        policy: `${namespace}/${desired.metadata.name}`,
        podSelector: describeSelector(desired.spec.podSelector),
        isolates: effectivePolicyTypes(desired),
        verdict: bypassVerdict(profile.uid === undefined ? input : { ...input, profileUid: profile.uid }),
      },
    ];
  });
  return { namespace, policies: policies.map((p) => `${namespace}/${p.metadata.name}`), profiles };
}

function profileLines(p: ProfileVerdict, others: readonly string[]): string[] {
  const lines = [`Profile ${p.profile} (${p.policy}; podSelector ${p.podSelector}; isolates ${p.isolates.join(", ")}): ${p.verdict.state}`];
  const entries = p.verdict.bypassedBy;
  if (entries.length === 0) {
    lines.push(others.length === 0 ? "  no other NetworkPolicy in the namespace" : `  nothing beyond the profile from: ${others.join(", ")}`);
    return lines;
  }
  const bypassers = [...new Set(entries.map((e) => e.policy))];
  lines.push(`  bypassed by ${bypassers.join(", ")} (NetworkPolicies add up; what each rule admits beyond the profile):`);
  for (const e of entries) {
    lines.push(`    ${e.certainty.padEnd(8)}  ${formatBypass({ ...e, certainty: "Certain" })}`);
    if (e.witness !== undefined) lines.push(`              e.g. ${e.witness}`);
    if (e.reason !== undefined) lines.push(`              undecided: ${e.reason}`);
  }
  const within = others.filter((o) => !bypassers.includes(o));
  if (within.length > 0) lines.push(`  nothing beyond the profile from: ${within.join(", ")}`);
  return lines;
}

export function formatNamespaceExplanation(e: NamespaceExplanation): string {
  const count = e.policies.length;
  const head = `Namespace ${e.namespace}: ${String(count)} NetworkPolic${count === 1 ? "y" : "ies"}, ${String(e.profiles.length)} from netfence profiles`;
  if (e.profiles.length === 0) return `${head}
  no policy labelled app.kubernetes.io/managed-by=netfence: no profile isolates this namespace`;
  const blocks = e.profiles.map((p) => profileLines(p, e.policies.filter((k) => k !== p.policy)).join("\n"));
  return [head, "", blocks.join("\n\n")].join("\n");
}

export const explainCommand = command({
  name: "explain",
  summary: "Show which NetworkPolicies isolate a pod and what their rules admit (--to), or whether a namespace's profiles still isolate it (--namespace).",
  options: {
    ...INPUT_OPTIONS,
    to: { type: "string", valueName: "ns/pod", description: "the pod to explain" },
    namespace: { type: "string", short: "n", valueName: "ns", description: "the namespace whose profile verdicts to explain: Isolated, or Bypassed by which policies" },
    output: { type: "string", short: "o", valueName: "text|json", description: "output format", default: "text" },
  },
  async run(values) {
    const output = values.output ?? "text";
    if (output !== "text" && output !== "json") throw new UsageError(`-o ${output}: expected text or json`);
    if (values.to !== undefined && values.namespace !== undefined) throw new UsageError("--to and --namespace explain different things: give one");
    if (values.namespace !== undefined) {
      if (values.namespace === "") throw new UsageError("--namespace needs a namespace name");
      const loaded = await loadInputs(values, [values.namespace]);
      printNotes(loaded);
      const explanation = explainNamespace(loaded.index, values.namespace);
      console.log(output === "json" ? JSON.stringify(explanation, null, 2) : formatNamespaceExplanation(explanation));
      return 0;
    }
    if (values.to === undefined) throw new UsageError("--to (namespace/pod) or --namespace is required");
    const loaded = await loadInputs(values);
    printNotes(loaded);
    const endpoint = endpointOf(loaded.index, values.to, "--to");
    if (endpoint.kind !== "pod") throw new UsageError(`--to ${values.to}: an address outside the cluster has no NetworkPolicies; name a pod (namespace/pod)`);
    const explanation = explainPod(loaded.index, endpoint.pod);
    if (!explanation) throw new UsageError(`--to ${values.to}: unknown pod`);
    console.log(output === "json" ? JSON.stringify(explanation, null, 2) : formatExplanation(explanation));
    return 0;
  },
});
