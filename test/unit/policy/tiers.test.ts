import { describe, expect, it } from "@jest/globals";
import type { NetworkPolicy } from "../../../src/k8s/objects.js";
import { formatCheck } from "../../../src/cli/check.js";
import { describeVerdict } from "../../../src/policy/reach-explain.js";
import { buildIndex, evaluate, matrix, matrixCells, resolveEndpoint, type Endpoint, type Evaluation, type ReachabilityIndex, type Traffic } from "../../../src/policy/reachability.js";
import { describeTraffic } from "../../../src/policy/ports.js";
import { isPossibleOnly } from "../../../src/policy/tiers-explain.js";
import { modelCluster, policy } from "./reachability-model.js";
import {
  admin,
  anp,
  banp,
  baseline,
  cnp,
  egress,
  everyNamespace,
  ingress,
  inNs,
  namedPort,
  networks,
  pods,
  respell,
  sctp,
  tcp,
  tcpRange,
  udp,
  type Wire,
} from "./tiers-model.js";

const TCP80: Traffic = { protocol: "TCP", port: 80 };
const TCP81: Traffic = { protocol: "TCP", port: 81 };
const TCP90: Traffic = { protocol: "TCP", port: 90 };
const TCP91: Traffic = { protocol: "TCP", port: 91 };
const UDP80: Traffic = { protocol: "UDP", port: 80 };
const UDP81: Traffic = { protocol: "UDP", port: 81 };
const SCTP80: Traffic = { protocol: "SCTP", port: 80 };
const ICMP: Traffic = { protocol: "ICMP" };
const EXTERNALS = ["192.0.2.10", "198.51.100.1"];

function endpoint(index: ReachabilityIndex, text: string): Endpoint {
  const parsed = resolveEndpoint(index, text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

function indexOf(tiers: readonly Wire[], nps: readonly NetworkPolicy[] = []): ReachabilityIndex {
  return buildIndex({ ...modelCluster([...nps]), tierPolicies: tiers });
}

function explain(index: ReachabilityIndex, result: Evaluation): string {
  const traffic = describeTraffic(result.resolved ?? result.traffic);
  return [...describeVerdict(index, result.egress, result.to, traffic), ...describeVerdict(index, result.ingress, result.from, traffic)].join("\n");
}

const denyIngressX = policy("x", "deny-ingress", { policyTypes: ["Ingress"] });
const allowIngressX = policy("x", "allow-all-ingress", { ingress: [{}] });
const npFromZOnly = policy("x", "from-z", { ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: "z" } } }] }] });
const npFromY = policy("x", "from-y", { ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: "y" } } }] }] });
const denyIngressY = policy("y", "deny-ingress", { policyTypes: ["Ingress"] });

/**
 * [sentence, tier policies, NetworkPolicies, from, to, traffic, allowed, the explanation mentions].
 * The steps of network-policy-api v0.3.0's conformance suite are reproduced in
 * tiers-conformance.test.ts.
 */
type Row = [string, Wire[], NetworkPolicy[], string, string, Traffic, boolean, string];

const rows: Row[] = [
  ["without tier policies the NetworkPolicy verdict stands", [], [], "y/a", "x/a", TCP80, true, "not isolated for ingress"],
  ["an Admin Deny stops ingress from the namespaces it names", [admin("isolate-x", 10, inNs("x"), { ingress: [ingress("Deny", [inNs("y")], undefined, "deny-y")] })], [], "y/a", "x/a", TCP80, false, 'denied by Admin tier ClusterNetworkPolicy/isolate-x ingress[0] "deny-y" (priority 10)'],
  ["an Admin Deny beats a NetworkPolicy allow", [admin("isolate-x", 10, inNs("x"), { ingress: [ingress("Deny", [inNs("y")])] })], [allowIngressX], "y/a", "x/a", TCP80, false, "denied by Admin tier ClusterNetworkPolicy/isolate-x ingress[0]"],
  ["an Admin Accept beats a NetworkPolicy deny", [admin("open-x", 10, inNs("x"), { ingress: [ingress("Accept", [inNs("y")], undefined, "from-y")] })], [denyIngressX], "y/a", "x/a", TCP80, true, 'allowed by Admin tier ClusterNetworkPolicy/open-x ingress[0] "from-y"'],
  ["an Admin Accept leaves other peers to the NetworkPolicies", [admin("open-x", 10, inNs("x"), { ingress: [ingress("Accept", [inNs("y")])] })], [denyIngressX], "z/a", "x/a", TCP80, false, "no ingress rule admits z/a"],
  ["an Admin Pass hands the decision to a NetworkPolicy that denies", [admin("pass-y", 10, inNs("x"), { ingress: [ingress("Pass", [inNs("y")], undefined, "pass-y")] })], [denyIngressX], "y/a", "x/a", TCP80, false, 'passed by Admin tier ClusterNetworkPolicy/pass-y ingress[0] "pass-y" (priority 10): the NetworkPolicies, then the Baseline tier, decide'],
  ["an Admin Pass skips the lower Admin rules and lets a NetworkPolicy allow", [admin("pass-then-deny", 10, inNs("x"), { ingress: [ingress("Pass", [inNs("y")]), ingress("Deny", [everyNamespace])] })], [npFromY], "y/a", "x/a", TCP80, true, "admitted by"],
  ["an Admin Pass skips lower-priority Admin policies too", [admin("pass", 10, inNs("x"), { ingress: [ingress("Pass", [inNs("y")])] }), admin("deny", 20, inNs("x"), { ingress: [ingress("Deny", [inNs("y")])] })], [], "y/a", "x/a", TCP80, true, "passed by Admin tier ClusterNetworkPolicy/pass"],
  ["an Admin Pass reaches the Baseline tier when no NetworkPolicy selects the pod", [admin("pass", 10, inNs("x"), { ingress: [ingress("Pass", [inNs("y")])] }), baseline("base", 10, inNs("x"), { ingress: [ingress("Deny", [inNs("y")], undefined, "base-deny")] })], [], "y/a", "x/a", TCP80, false, 'denied by Baseline tier ClusterNetworkPolicy/base ingress[0] "base-deny"'],
  ["a Baseline Deny is overridden by a NetworkPolicy that selects the pod", [baseline("base", 10, inNs("x"), { ingress: [ingress("Deny", [inNs("y")])] })], [npFromY], "y/a", "x/a", TCP80, true, "admitted by"],
  ["a selecting NetworkPolicy decides even where it denies: a Baseline Accept does not reopen", [baseline("base", 10, inNs("x"), { ingress: [ingress("Accept", [inNs("y")])] })], [npFromZOnly], "y/a", "x/a", TCP80, false, "no ingress rule admits y/a"],
  ["a Baseline Deny applies when no NetworkPolicy selects the pod", [baseline("base", 10, inNs("x"), { ingress: [ingress("Deny", [inNs("y")])] })], [], "y/a", "x/a", TCP80, false, "denied by Baseline tier"],
  ["a Baseline Deny in one direction does not touch the other namespace", [baseline("base", 10, inNs("x"), { ingress: [ingress("Deny", [inNs("y")])] })], [], "z/a", "x/a", TCP80, true, "not isolated"],
  ["a Baseline Accept allows (and so does nothing matching)", [baseline("base", 10, inNs("x"), { ingress: [ingress("Accept", [inNs("y")]), ingress("Deny", [everyNamespace])] })], [], "y/a", "x/a", TCP80, true, "allowed by Baseline tier"],
  ["a Baseline Pass is no decision: allowed", [baseline("base", 10, inNs("x"), { ingress: [ingress("Pass", [inNs("y")]), ingress("Deny", [everyNamespace])] })], [], "y/a", "x/a", TCP80, true, "passed by Baseline tier ClusterNetworkPolicy/base ingress[0]"],
  ["a lower priority number goes first: Accept at 10 over Deny at 20", [admin("b-accept", 10, inNs("x"), { ingress: [ingress("Accept", [inNs("y")])] }), admin("a-deny", 20, inNs("x"), { ingress: [ingress("Deny", [inNs("y")])] })], [], "y/a", "x/a", TCP80, true, "ClusterNetworkPolicy/b-accept"],
  ["a lower priority number goes first: Deny at 10 over Accept at 20", [admin("b-deny", 10, inNs("x"), { ingress: [ingress("Deny", [inNs("y")])] }), admin("a-accept", 20, inNs("x"), { ingress: [ingress("Accept", [inNs("y")])] })], [], "y/a", "x/a", TCP80, false, "ClusterNetworkPolicy/b-deny"],
  ["priority 0 goes before priority 1000", [admin("last", 1000, inNs("x"), { ingress: [ingress("Deny", [inNs("y")])] }), admin("first", 0, inNs("x"), { ingress: [ingress("Accept", [inNs("y")])] })], [], "y/a", "x/a", TCP80, true, "(priority 0)"],
  ["a policy that matches nothing lets the next priority decide", [admin("other", 5, inNs("x"), { ingress: [ingress("Accept", [inNs("z")])] }), admin("deny", 6, inNs("x"), { ingress: [ingress("Deny", [inNs("y")])] })], [], "y/a", "x/a", TCP80, false, "ClusterNetworkPolicy/deny"],
  ["rule order: the first matching rule decides (Accept before Deny)", [admin("order", 10, inNs("x"), { ingress: [ingress("Accept", [inNs("y")]), ingress("Deny", [inNs("y")])] })], [], "y/a", "x/a", TCP80, true, "ingress[0]"],
  ["rule order: the first matching rule decides (Deny before Accept)", [admin("order", 10, inNs("x"), { ingress: [ingress("Deny", [inNs("y")]), ingress("Accept", [inNs("y")])] })], [], "y/a", "x/a", TCP80, false, "ingress[0]"],
  ["rule order: a rule whose port does not match is skipped", [admin("order", 10, inNs("x"), { ingress: [ingress("Deny", [inNs("y")], [tcp(80)]), ingress("Accept", [inNs("y")])] })], [denyIngressX], "y/a", "x/a", TCP81, true, "ingress[1]"],
  ["rule order: the port-specific Deny matches its port", [admin("order", 10, inNs("x"), { ingress: [ingress("Deny", [inNs("y")], [tcp(80)]), ingress("Accept", [inNs("y")])] })], [], "y/a", "x/a", TCP80, false, "ingress[0]"],
  ["a subject by namespaces selects every pod there", [admin("isolate-x", 10, inNs("x"), { ingress: [ingress("Deny", [inNs("y")])] })], [], "y/a", "x/c", TCP80, false, "Admin tier"],
  ["a subject by pods selects only the pods it names (selected pod)", [admin("isolate-xa", 10, pods("x", "a"), { ingress: [ingress("Deny", [inNs("y")])] })], [], "y/a", "x/a", TCP80, false, "Admin tier"],
  ["a subject by pods selects only the pods it names (other pod)", [admin("isolate-xa", 10, pods("x", "a"), { ingress: [ingress("Deny", [inNs("y")])] })], [], "y/a", "x/b", TCP80, true, "not isolated"],
  ["a subject by pods with namespaceSelector {} selects the pod in every namespace", [admin("all-a", 10, pods(undefined, "a"), { ingress: [ingress("Deny", [inNs("z")])] })], [], "z/b", "y/a", TCP80, false, "ClusterNetworkPolicy/all-a"],
  ["a pods peer matches only the pods it names (named pod)", [admin("no-yb", 10, inNs("x"), { ingress: [ingress("Deny", [pods("y", "b")])] })], [], "y/b", "x/a", TCP80, false, "Admin tier"],
  ["a pods peer matches only the pods it names (other pod)", [admin("no-yb", 10, inNs("x"), { ingress: [ingress("Deny", [pods("y", "b")])] })], [], "y/c", "x/a", TCP80, true, "not isolated"],
  ["an egress Deny stops the source", [admin("no-egress-y", 10, inNs("x"), { egress: [egress("Deny", [inNs("y")], undefined, "to-y")] })], [], "x/a", "y/a", TCP80, false, 'denied by Admin tier ClusterNetworkPolicy/no-egress-y egress[0] "to-y"'],
  ["an egress-only policy does not touch ingress", [admin("no-egress-y", 10, inNs("x"), { egress: [egress("Deny", [inNs("y")])] })], [], "y/a", "x/a", TCP80, true, "not isolated"],
  ["an Admin egress Accept does not override the destination's ingress NetworkPolicy", [admin("open-egress", 10, inNs("x"), { egress: [egress("Accept", [inNs("y")])] })], [denyIngressY], "x/a", "y/a", TCP80, false, "isolated for ingress by y/deny-ingress"],
  ["an Admin egress Deny with an Admin ingress Accept: both directions must allow", [admin("no-egress", 10, inNs("x"), { egress: [egress("Deny", [inNs("y")])] }), admin("open-y", 10, inNs("y"), { ingress: [ingress("Accept", [inNs("x")])] })], [], "x/a", "y/a", TCP80, false, "ClusterNetworkPolicy/no-egress"],
  ["egress networks match an outside address in the block", [admin("no-doc", 10, inNs("x"), { egress: [egress("Deny", [networks("192.0.2.0/24")])] })], [], "x/a", "192.0.2.10", TCP80, false, "egress[0]"],
  ["egress networks do not match an outside address outside the block", [admin("no-doc", 10, inNs("x"), { egress: [egress("Deny", [networks("192.0.2.0/24")])] })], [], "x/a", "198.51.100.1", TCP80, true, "outside the cluster"],
  ["egress networks match pod IPs in the block too", [admin("no-y-ips", 10, inNs("x"), { egress: [egress("Deny", [networks("10.1.1.0/24")])] })], [], "x/a", "y/b", TCP80, false, "ClusterNetworkPolicy/no-y-ips"],
  ["egress networks 0.0.0.0/0 Accept beats a NetworkPolicy egress deny", [admin("open", 10, inNs("x"), { egress: [egress("Accept", [networks("0.0.0.0/0")])] })], [policy("x", "no-egress", { policyTypes: ["Egress"] })], "x/a", "198.51.100.1", TCP80, true, "allowed by Admin tier"],
  ["an ingress namespaces peer never matches an outside source", [admin("deny-all", 10, inNs("x"), { ingress: [ingress("Deny", [everyNamespace])] })], [], "192.0.2.10", "x/a", TCP80, true, "not isolated"],
  ["an ingress Deny from every namespace matches every pod", [admin("deny-all", 10, inNs("x"), { ingress: [ingress("Deny", [everyNamespace])] })], [], "x/b", "x/a", TCP80, false, "Admin tier"],
  ["a pod may always reach itself, whatever the Admin tier says", [admin("deny-all", 10, inNs("x"), { ingress: [ingress("Deny", [everyNamespace])], egress: [egress("Deny", [everyNamespace])] })], [], "x/a", "x/a", TCP80, true, "itself"],
  ["a port range matches inside it", [admin("range", 10, inNs("x"), { ingress: [ingress("Deny", [inNs("y")], [tcpRange(80, 90)])] })], [], "y/a", "x/a", TCP81, false, "Admin tier"],
  ["a port range matches its last port", [admin("range", 10, inNs("x"), { ingress: [ingress("Deny", [inNs("y")], [tcpRange(80, 90)])] })], [], "y/a", "x/a", TCP90, false, "Admin tier"],
  ["a port range does not match below it", [admin("range", 10, inNs("x"), { ingress: [ingress("Deny", [inNs("y")], [tcpRange(81, 90)])] })], [], "y/a", "x/a", TCP80, true, "not isolated"],
  ["a port range does not match above it", [admin("range", 10, inNs("x"), { ingress: [ingress("Deny", [inNs("y")], [tcpRange(80, 90)])] })], [], "y/a", "x/a", TCP91, true, "not isolated"],
  ["a udp entry matches UDP on its port", [admin("udp", 10, inNs("x"), { ingress: [ingress("Deny", [inNs("y")], [udp(80)])] })], [], "y/a", "x/a", UDP80, false, "Admin tier"],
  ["a udp entry does not match TCP on the same port", [admin("udp", 10, inNs("x"), { ingress: [ingress("Deny", [inNs("y")], [udp(80)])] })], [], "y/a", "x/a", TCP80, true, "not isolated"],
  ["an sctp entry matches SCTP", [admin("sctp", 10, inNs("x"), { ingress: [ingress("Deny", [inNs("y")], [sctp(80)])] })], [], "y/a", "x/a", SCTP80, false, "Admin tier"],
  ["a tcp entry without a port matches every TCP port", [admin("tcp-all", 10, inNs("x"), { ingress: [ingress("Deny", [inNs("y")], [{ tcp: {} }])] })], [], "y/a", "x/a", TCP91, false, "Admin tier"],
  ["a rule without protocols matches ICMP", [admin("deny-y", 10, inNs("x"), { ingress: [ingress("Deny", [inNs("y")])] })], [], "y/a", "x/a", ICMP, false, "Admin tier"],
  ["a rule with protocols never matches ICMP", [admin("deny-y-80", 10, inNs("x"), { ingress: [ingress("Deny", [inNs("y")], [tcp(80)])] })], [], "y/a", "x/a", ICMP, true, "not isolated"],
  ["a named port matches the destination's container port of that name", [admin("named", 10, inNs("x"), { ingress: [ingress("Deny", [inNs("y")], [namedPort("serve-80-tcp")])] })], [], "y/a", "x/a", TCP80, false, "Admin tier"],
  ["a named port does not match another port", [admin("named", 10, inNs("x"), { ingress: [ingress("Deny", [inNs("y")], [namedPort("serve-80-tcp")])] })], [], "y/a", "x/a", TCP81, true, "not isolated"],
  ["a named port on egress resolves on each destination pod", [admin("named-egress", 10, inNs("x"), { egress: [egress("Deny", [inNs("y")], [namedPort("serve-81-udp")])] })], [], "x/a", "y/a", UDP81, false, "egress[0]"],
  ["a named port on egress never matches an outside address", [admin("named-egress", 10, inNs("x"), { egress: [egress("Deny", [networks("0.0.0.0/0")], [namedPort("serve-80-tcp")])] })], [], "x/a", "192.0.2.10", TCP80, true, "outside the cluster"],
  ["an AdminNetworkPolicy Allow beats a NetworkPolicy deny", [anp("open-x", 10, inNs("x"), { ingress: [ingress("Accept", [inNs("y")])] })], [denyIngressX], "y/a", "x/a", TCP80, true, "allowed by Admin tier AdminNetworkPolicy/open-x"],
  ["an AdminNetworkPolicy portNumber matches its port", [anp("deny-80", 10, inNs("x"), { ingress: [ingress("Deny", [inNs("y")], [tcp(80)])] })], [], "y/a", "x/a", TCP80, false, "AdminNetworkPolicy/deny-80"],
  ["an AdminNetworkPolicy portRange without protocol means TCP", [{ apiVersion: "policy.networking.k8s.io/v1alpha1", kind: "AdminNetworkPolicy", metadata: { name: "r" }, spec: { priority: 1, subject: inNs("x"), ingress: [{ action: "Deny", from: [inNs("y")], ports: [{ portRange: { start: 80, end: 81 } }] }] } }], [], "y/a", "x/a", TCP81, false, "AdminNetworkPolicy/r"],
  ["an AdminNetworkPolicy namedPort resolves on the destination", [anp("named", 10, inNs("x"), { ingress: [ingress("Deny", [inNs("y")], [namedPort("serve-81-tcp")])] })], [], "y/a", "x/a", TCP81, false, "AdminNetworkPolicy/named"],
  ["an AdminNetworkPolicy and a ClusterNetworkPolicy share the Admin tier by priority", [anp("deny", 5, inNs("x"), { ingress: [ingress("Deny", [inNs("y")])] }), admin("accept", 10, inNs("x"), { ingress: [ingress("Accept", [inNs("y")])] })], [], "y/a", "x/a", TCP80, false, "AdminNetworkPolicy/deny"],
  ["a BaselineAdminNetworkPolicy Deny applies when no NetworkPolicy selects the pod", [banp(inNs("x"), { ingress: [ingress("Deny", [inNs("y")])] })], [], "y/a", "x/a", TCP80, false, "Baseline tier BaselineAdminNetworkPolicy/default ingress[0]"],
  ["a BaselineAdminNetworkPolicy Deny is overridden by a selecting NetworkPolicy", [banp(inNs("x"), { ingress: [ingress("Deny", [inNs("y")])] })], [npFromY], "y/a", "x/a", TCP80, true, "admitted by"],
  ["same priority, different actions: the most restrictive (Deny) and a reported conflict", [admin("a-accept", 10, inNs("x"), { ingress: [ingress("Accept", [inNs("y")])] }), admin("b-deny", 10, inNs("x"), { ingress: [ingress("Deny", [inNs("y")])] })], [], "y/a", "x/a", TCP80, false, "conflict: same-priority rules match with different actions"],
  ["same priority, Accept and Pass: Pass (more restrictive) and a conflict", [admin("a-accept", 10, inNs("x"), { ingress: [ingress("Accept", [inNs("y")])] }), admin("b-pass", 10, inNs("x"), { ingress: [ingress("Pass", [inNs("y")])] })], [denyIngressX], "y/a", "x/a", TCP80, false, "Pass: Admin tier ClusterNetworkPolicy/b-pass"],
  ["same priority, only one matching: no conflict", [admin("a-accept", 10, inNs("x"), { ingress: [ingress("Accept", [inNs("z")])] }), admin("b-deny", 10, inNs("x"), { ingress: [ingress("Deny", [inNs("y")])] })], [], "y/a", "x/a", TCP80, false, "denied by Admin tier ClusterNetworkPolicy/b-deny"],
  ["an unknown action fails closed: the rule denies everything", [admin("typo", 10, inNs("x"), { ingress: [ingress("Reject", [inNs("z")])] })], [], "y/a", "x/a", TCP80, false, "unreadable, applied as deny-all"],
  ["an unreadable Accept rule matches nothing: the NetworkPolicy decides", [admin("bad-accept", 10, inNs("x"), { egress: [egress("Accept", [networks("10.1.2.3/8")])] })], [policy("x", "no-egress", { policyTypes: ["Egress"] })], "x/a", "198.51.100.1", TCP80, false, "possible only: ClusterNetworkPolicy/bad-accept"],
  ["a bad CIDR in a Deny rule fails closed for every peer", [admin("bad-deny", 10, inNs("x"), { egress: [egress("Deny", [networks("10.0.0.0/33")])] })], [], "x/a", "y/a", TCP80, false, "fail closed"],
  ["an unplaceable policy (priority 2000) changes no bit but makes the verdict possible", [admin("too-high", 2000, inNs("x"), { ingress: [ingress("Deny", [inNs("y")])] })], [], "y/a", "x/a", TCP80, true, "possible only: ClusterNetworkPolicy/too-high"],
  ["a Pass at a higher priority number does not matter once a lower one decided", [admin("accept", 1, inNs("x"), { ingress: [ingress("Accept", [inNs("y")])] }), admin("pass", 2, inNs("x"), { ingress: [ingress("Pass", [inNs("y")])] })], [denyIngressX], "y/a", "x/a", TCP80, true, "ClusterNetworkPolicy/accept"],
  ["an Admin Pass then a Baseline Accept: a selecting NetworkPolicy still decides", [admin("pass", 1, inNs("x"), { ingress: [ingress("Pass", [inNs("y")])] }), baseline("base", 1, inNs("x"), { ingress: [ingress("Accept", [inNs("y")])] })], [denyIngressX], "y/a", "x/a", TCP80, false, "isolated for ingress by x/deny-ingress"],
];

describe("the tiers around the NetworkPolicy evaluator", () => {
  it.each(rows)("%s", (_name, tiers, nps, from, to, traffic, allowed, says) => {
    const index = indexOf(tiers, nps);
    const result = evaluate(index, endpoint(index, from), endpoint(index, to), traffic);
    expect({ allowed: result.allowed, says: explain(index, result).includes(says) ? says : explain(index, result) }).toEqual({ allowed, says });
  });

  it.each(rows)("matrix agrees with evaluate on every pair: %s", (_name, tiers, nps, _from, _to, traffic) => {
    const index = indexOf(tiers, nps);
    const cells = matrixCells(matrix(index, traffic, { externals: EXTERNALS }));
    const fromMatrix = cells.map((c) => `${c.from} → ${c.to}: ${String(c.allowed)}`);
    const fromEvaluate = cells.map((c) => `${c.from} → ${c.to}: ${String(evaluate(index, endpoint(index, c.from), endpoint(index, c.to), traffic).allowed)}`);
    expect(fromMatrix).toEqual(fromEvaluate);
  });
});

/** Every pair, for a few probes: the verdicts a spelling gives. */
function verdicts(tiers: readonly Wire[], nps: readonly NetworkPolicy[] = []): string[] {
  const index = indexOf(tiers, nps);
  return [TCP80, TCP81, UDP80, ICMP].flatMap((traffic) => matrixCells(matrix(index, traffic, { externals: EXTERNALS })).map((c) => `${describeTraffic(traffic)} ${c.from} → ${c.to}: ${String(c.allowed)}`));
}

const spelled: [string, Wire[], NetworkPolicy[]][] = [
  ["an Admin policy with Pass, Deny and Accept rules on ports", [admin("p", 10, inNs("x"), { ingress: [ingress("Pass", [pods("y", "a")]), ingress("Deny", [inNs("y")], [tcp(80), udp(80)]), ingress("Accept", [everyNamespace])] })], [denyIngressX]],
  ["an Admin egress policy with networks and a port range", [admin("e", 10, pods(undefined, "b"), { egress: [egress("Deny", [networks("192.0.2.0/24", "10.1.2.0/24")], [tcpRange(80, 81)]), egress("Accept", [inNs("z")])] })], []],
  ["a Baseline policy under a NetworkPolicy", [baseline("default", 0, inNs("x"), { ingress: [ingress("Deny", [inNs("y")], [namedPort("serve-80-tcp")])], egress: [egress("Deny", [inNs("z")])] })], [policy("x", "only-a", { podSelector: { matchLabels: { pod: "a" } }, ingress: [{}] })]],
];

describe("v1beta1, v1alpha2 and v1alpha1 spellings of the same policy", () => {
  it.each(spelled)("give the same verdicts as v1alpha2: %s", (_name, tiers, nps) => {
    expect(verdicts(tiers.map((t) => respell(t, "v1alpha2")), nps)).toEqual(verdicts(tiers, nps));
  });
  it.each(spelled)("give the same verdicts as AdminNetworkPolicy/BaselineAdminNetworkPolicy v1alpha1: %s", (_name, tiers, nps) => {
    expect(verdicts(tiers.map((t) => respell(t, "v1alpha1")), nps)).toEqual(verdicts(tiers, nps));
  });
  it("the spellings differ where they should: a v1alpha1 Accept is an unknown action", () => {
    const wrong = { ...anp("x", 1, inNs("x"), {}), spec: { priority: 1, subject: inNs("x"), ingress: [{ action: "Accept", from: [inNs("y")] }] } };
    expect(indexOf([wrong]).warnings).toContain('AdminNetworkPolicy x: spec.ingress[0].action: "Accept" is not one of Allow, Deny, Pass');
  });
});

const unreadable: [string, Wire, string][] = [
  ["a non-canonical CIDR", admin("isolate-dev", 10, inNs("x"), { egress: [egress("Deny", [inNs("y")]), egress("Deny", [networks("10.1.2.3/8")])] }), "ClusterNetworkPolicy isolate-dev: spec.egress[1].to[0].networks[0]: 10.1.2.3/8 is not canonical (the network is 10.0.0.0/8)"],
  ["a CIDR that is not one", admin("c", 10, inNs("x"), { egress: [egress("Deny", [networks("ten/8")])] }), "ClusterNetworkPolicy c: spec.egress[0].to[0].networks[0]: ten/8 is not a CIDR: 'ten' is not an IP address"],
  ["an unknown action", admin("a", 10, inNs("x"), { ingress: [ingress("Allow", [inNs("y")])] }), 'ClusterNetworkPolicy a: spec.ingress[0].action: "Allow" is not one of Accept, Deny, Pass'],
  ["networks in an ingress peer", admin("n", 10, inNs("x"), { ingress: [ingress("Deny", [networks("10.0.0.0/8")])] }), "ClusterNetworkPolicy n: spec.ingress[0].from[0].networks: unknown field (expected namespaces or pods)"],
  ["a subject with both namespaces and pods", admin("s", 10, { ...inNs("x"), ...pods("x", "a") }, {}), "ClusterNetworkPolicy s: spec.subject: exactly one of namespaces, pods must be set (got namespaces, pods)"],
  ["a priority out of range", admin("p", 2000, inNs("x"), {}), "ClusterNetworkPolicy p: spec.priority: 2000 is not an integer from 0 to 1000"],
  ["an unknown tier", cnp("t", "Middle" as "Admin", 1, inNs("x"), {}), 'ClusterNetworkPolicy t: spec.tier: "Middle" is not one of Admin, Baseline'],
  ["a port range upside down", admin("r", 1, inNs("x"), { ingress: [ingress("Deny", [inNs("y")], [tcpRange(90, 80)])] }), "ClusterNetworkPolicy r: spec.ingress[0].protocols[0].tcp.destinationPort.range.end: 80 is below start 90"],
  ["a rule without peers", admin("e", 1, inNs("x"), { ingress: [{ action: "Deny" }] }), "ClusterNetworkPolicy e: spec.ingress[0].from: expected a non-empty list of peers"],
  ["a bad selector operator", admin("o", 1, { namespaces: { matchExpressions: [{ key: "a", operator: "Is" }] } }, {}), 'ClusterNetworkPolicy o: spec.subject.namespaces.matchExpressions[0].operator: "Is" is not one of In, NotIn, Exists, DoesNotExist'],
  ["an experimental nodes peer", admin("nodes", 1, inNs("x"), { egress: [egress("Deny", [{ nodes: {} }])] }), "ClusterNetworkPolicy nodes: spec.egress[0].to[0].nodes: unknown field (expected namespaces or pods or networks)"],
  ["a BaselineAdminNetworkPolicy not named default", banp(inNs("x"), {}, "other"), "BaselineAdminNetworkPolicy other: metadata.name: a BaselineAdminNetworkPolicy must be named default (the API admits only that one)"],
  ["a spec that is not an object", { apiVersion: "policy.networking.k8s.io/v1beta1", kind: "ClusterNetworkPolicy", metadata: { name: "z" }, spec: "nope" }, "ClusterNetworkPolicy z: spec: expected an object"],
];

describe("objects the evaluator cannot read", () => {
  it.each(unreadable)("%s is a warning naming the object and the field, never ignored", (_name, object, warning) => {
    const index = indexOf([object]);
    expect(index.warnings).toContain(warning);
    const pairs = matrixCells(matrix(index, TCP80));
    expect(pairs.length).toBeGreaterThan(0);
  });

  it("reads exactly 25 rules and 25 peers; a 26th is a warning (the upstream CRD's limits)", () => {
    const rules = (n: number) => Array.from({ length: n }, (_, i) => ingress("Deny", [inNs(`r${String(i)}`)]));
    const peers = (n: number) => [ingress("Deny", Array.from({ length: n }, (_, i) => inNs(`p${String(i)}`)))];
    const warnings = (object: Wire) => indexOf([object]).warnings;
    expect({
      rules25: warnings(admin("r25", 1, inNs("x"), { ingress: rules(25) })),
      rules26: warnings(admin("r26", 1, inNs("x"), { ingress: rules(26) })),
      peers25: warnings(admin("p25", 1, inNs("x"), { ingress: peers(25) })),
      peers26: warnings(admin("p26", 1, inNs("x"), { ingress: peers(26) })),
    }).toEqual({
      rules25: [],
      rules26: ["ClusterNetworkPolicy r26: spec.ingress: more than 25 rules"],
      peers25: [],
      peers26: ["ClusterNetworkPolicy p26: spec.ingress[0].from: more than 25 peers"],
    });
  });

  it("never throws on garbage and marks the verdicts possible", () => {
    const garbage: Wire[] = [
      { apiVersion: "policy.networking.k8s.io/v1beta1", kind: "ClusterNetworkPolicy" },
      { apiVersion: "policy.networking.k8s.io/v1beta1", kind: "ClusterNetworkPolicy", metadata: { name: "g" }, spec: { tier: "Admin", priority: 1, subject: inNs("x"), ingress: "all", egress: [null, 3] } },
    ];
    const index = indexOf(garbage);
    const result = evaluate(index, endpoint(index, "y/a"), endpoint(index, "x/a"), TCP80);
    expect({ allowed: result.allowed, possible: isPossibleOnly(result.ingress), warnings: index.warnings.length > 2 }).toEqual({ allowed: false, possible: true, warnings: true });
  });

  it("a duplicate object is named and the last one is used", () => {
    const index = indexOf([admin("d", 1, inNs("x"), { ingress: [ingress("Deny", [inNs("y")])] }), admin("d", 1, inNs("x"), { ingress: [ingress("Accept", [inNs("y")])] })]);
    expect({ warnings: index.warnings, allowed: evaluate(index, endpoint(index, "y/a"), endpoint(index, "x/a"), TCP80).allowed }).toEqual({ warnings: ["ClusterNetworkPolicy/d appears more than once; the last one is used"], allowed: true });
  });
});

describe("what a verdict carries", () => {
  it("names the deciding tier, policy, rule and priority", () => {
    const index = indexOf([admin("isolate-dev", 10, inNs("x"), { ingress: [ingress("Accept", [inNs("z")], undefined, "from-z"), ingress("Deny", [everyNamespace], undefined, "deny-all")] })]);
    const result = evaluate(index, endpoint(index, "y/a"), endpoint(index, "x/a"), TCP80);
    expect({ reason: result.ingress.reason, decided: result.ingress.tiers?.admin?.decided }).toEqual({
      reason: "admin-tier",
      decided: { tier: "Admin", policy: "ClusterNetworkPolicy/isolate-dev", priority: 10, direction: "Ingress", rule: 1, ruleName: "deny-all", action: "Deny" },
    });
  });

  it("a same-priority conflict lists both rules", () => {
    const index = indexOf([admin("a", 10, inNs("x"), { ingress: [ingress("Accept", [inNs("y")])] }), admin("b", 10, inNs("x"), { ingress: [ingress("Deny", [inNs("y")])] })]);
    const result = evaluate(index, endpoint(index, "y/a"), endpoint(index, "x/a"), TCP80);
    expect(result.ingress.tiers?.admin?.conflicts.map((c) => `${c.policy} ${c.action}`)).toEqual(["ClusterNetworkPolicy/a Accept", "ClusterNetworkPolicy/b Deny"]);
  });
});

describe("netfence check's words", () => {
  it("says possibly when the verdict rests on a same-priority conflict, and names both rules", () => {
    const index = indexOf([admin("a", 10, inNs("x"), { ingress: [ingress("Accept", [inNs("y")], undefined, "let-y")] }), admin("b", 10, inNs("x"), { ingress: [ingress("Deny", [inNs("y")], undefined, "stop-y")] })]);
    const result = evaluate(index, endpoint(index, "y/a"), endpoint(index, "x/a"), TCP80);
    const text = formatCheck(result, (v) => describeVerdict(index, v, v.direction === "Egress" ? result.to : result.from, "TCP/80"));
    expect(text.split("\n")).toEqual([
      "possibly denied: y/a → x/a TCP/80",
      "  ✓ egress of y/a: not isolated for egress: no NetworkPolicy in y selects it with policyType Egress",
      '  ✗ ingress of x/a: denied by Admin tier ClusterNetworkPolicy/b ingress[0] "stop-y" (priority 10)',
      "      conflict: same-priority rules match with different actions (upstream leaves the choice to the implementation; netfence assumes the most restrictive):",
      '        Accept: Admin tier ClusterNetworkPolicy/a ingress[0] "let-y" (priority 10)',
      '        Deny: Admin tier ClusterNetworkPolicy/b ingress[0] "stop-y" (priority 10)',
    ]);
  });

  it("says a plain verdict when nothing is in doubt", () => {
    const index = indexOf([admin("a", 10, inNs("x"), { ingress: [ingress("Deny", [inNs("y")])] })]);
    const result = evaluate(index, endpoint(index, "y/a"), endpoint(index, "x/a"), TCP80);
    expect(formatCheck(result, (v) => describeVerdict(index, v, "", "TCP/80")).split("\n")[0]).toBe("denied: y/a → x/a TCP/80");
  });
});
