import { describe, expect, it } from "@jest/globals";
import type { NetworkPolicy } from "../../../src/k8s/objects.js";
import { buildIndex, effectivePolicyTypes, evaluate, matrix, matrixCells, resolveEndpoint, type Endpoint, type ReachabilityIndex, type Traffic } from "../../../src/policy/reachability.js";
import { ALL_PODS, ipOf, key, modelCluster, policy, type PodId } from "./reachability-model.js";

type Expectation = (from: PodId, to: PodId) => boolean;

const TCP80: Traffic = { protocol: "TCP", port: 80 };
const TCP81: Traffic = { protocol: "TCP", port: 81 };
const UDP80: Traffic = { protocol: "UDP", port: 80 };
const UDP81: Traffic = { protocol: "UDP", port: 81 };
const SCTP80: Traffic = { protocol: "SCTP", port: 80 };
const ICMP: Traffic = { protocol: "ICMP" };

const everything: Expectation = () => true;

function endpoint(index: ReachabilityIndex, text: string): Endpoint {
  const parsed = resolveEndpoint(index, text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

/** Cases from the upstream e2e netpol suite (test/e2e/network/netpol/network_policy.go), x/y/z × a/b/c. */
const cases: [string, NetworkPolicy[], Traffic, Expectation][] = [
  ["no policy: every pod reaches every pod", [], TCP80, everything],
  ["default-deny-ingress: nothing reaches x", [policy("x", "deny", { policyTypes: ["Ingress"] })], TCP80, (_f, t) => t.ns !== "x"],
  ["default-deny-ingress also stops ICMP", [policy("x", "deny", { policyTypes: ["Ingress"] })], ICMP, (_f, t) => t.ns !== "x"],
  ["default-deny-all: x neither sends nor receives", [policy("x", "deny", { policyTypes: ["Ingress", "Egress"] })], TCP80, (f, t) => f.ns !== "x" && t.ns !== "x"],
  ["deny egress from all pods in a namespace", [policy("x", "deny", { policyTypes: ["Egress"] })], UDP80, (f) => f.ns !== "x"],
  ["deny egress from pods based on PodSelector", [policy("x", "deny", { podSelector: { matchLabels: { pod: "a" } }, policyTypes: ["Egress"] })], TCP80, (f) => key(f) !== "x/a"],
  [
    "allow traffic from pods within the server namespace based on PodSelector",
    [policy("x", "allow-b", { podSelector: { matchLabels: { pod: "a" } }, ingress: [{ from: [{ podSelector: { matchLabels: { pod: "b" } } }] }] })],
    TCP80,
    (f, t) => key(t) !== "x/a" || key(f) === "x/b",
  ],
  [
    "an empty ingress rule admits everyone",
    [policy("x", "allow-all", { podSelector: { matchLabels: { pod: "a" } }, ingress: [{}] })],
    UDP81,
    everything,
  ],
  ["allow-all policy: {} selector with an empty rule", [policy("x", "allow-all", { ingress: [{}] })], TCP81, everything],
  [
    "allow traffic only from a different namespace, based on NamespaceSelector",
    [policy("x", "allow-y", { ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: "y" } } }] }] })],
    TCP80,
    (f, t) => t.ns !== "x" || f.ns === "y",
  ],
  [
    "PodSelector with MatchExpressions (In)",
    [policy("x", "allow-in", { podSelector: { matchLabels: { pod: "a" } }, ingress: [{ from: [{ podSelector: { matchExpressions: [{ key: "pod", operator: "In", values: ["b"] }] } }] }] })],
    TCP80,
    (f, t) => key(t) !== "x/a" || key(f) === "x/b",
  ],
  [
    "NamespaceSelector with MatchExpressions (NotIn)",
    [policy("x", "allow-notin", { podSelector: { matchLabels: { pod: "a" } }, ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: "ns", operator: "NotIn", values: ["x"] }] } }] }] })],
    TCP80,
    (f, t) => key(t) !== "x/a" || f.ns !== "x",
  ],
  [
    "PodSelector or NamespaceSelector (two peers are ORed)",
    [
      policy("x", "allow-or", {
        podSelector: { matchLabels: { pod: "a" } },
        ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: "ns", operator: "NotIn", values: ["x"] }] } }, { podSelector: { matchLabels: { pod: "b" } } }] }],
      }),
    ],
    TCP80,
    (f, t) => key(t) !== "x/a" || f.ns !== "x" || f.pod === "b",
  ],
  [
    "PodSelector and NamespaceSelector in one peer are ANDed",
    [
      policy("x", "allow-and", {
        podSelector: { matchLabels: { pod: "a" } },
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchExpressions: [{ key: "ns", operator: "NotIn", values: ["x"] }] },
                podSelector: { matchExpressions: [{ key: "pod", operator: "In", values: ["b", "c"] }] },
              },
            ],
          },
        ],
      }),
    ],
    TCP80,
    (f, t) => key(t) !== "x/a" || (f.ns !== "x" && f.pod !== "a"),
  ],
  [
    "Multiple PodSelectors and NamespaceSelectors (NotIn on both)",
    [
      policy("x", "allow-multi", {
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchExpressions: [{ key: "ns", operator: "NotIn", values: ["x", "y"] }] },
                podSelector: { matchExpressions: [{ key: "pod", operator: "NotIn", values: ["a"] }] },
              },
            ],
          },
        ],
      }),
    ],
    TCP80,
    (f, t) => t.ns !== "x" || (f.ns === "z" && f.pod !== "a"),
  ],
  [
    "any of several PodSelectors",
    [policy("x", "allow-bc", { podSelector: { matchLabels: { pod: "a" } }, ingress: [{ from: [{ podSelector: { matchLabels: { pod: "b" } } }, { podSelector: { matchLabels: { pod: "c" } } }] }] })],
    TCP80,
    (f, t) => key(t) !== "x/a" || key(f) === "x/b" || key(f) === "x/c",
  ],
  [
    "only from a pod in a different namespace (PodSelector AND NamespaceSelector)",
    [policy("x", "allow-ya", { podSelector: { matchLabels: { pod: "a" } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: "y" } }, podSelector: { matchLabels: { pod: "a" } } }] }] })],
    TCP80,
    (f, t) => key(t) !== "x/a" || key(f) === "y/a",
  ],
  [
    "deny ingress from pods in other namespaces (podSelector {} means the policy's namespace)",
    [policy("x", "same-ns", { ingress: [{ from: [{ podSelector: {} }] }] })],
    TCP80,
    (f, t) => t.ns !== "x" || f.ns === "x",
  ],
  [
    "namespaceSelector {} means every namespace",
    [policy("x", "all-ns", { ingress: [{ from: [{ namespaceSelector: {} }] }] })],
    TCP80,
    everything,
  ],
  [
    "namespaceSelector {} with a podSelector picks that pod in every namespace",
    [policy("x", "all-ns-b", { ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { pod: "b" } } }] }] })],
    TCP80,
    (f, t) => t.ns !== "x" || f.pod === "b",
  ],
  ["from: [] admits everyone", [policy("x", "empty-from", { ingress: [{ from: [] }] })], TCP80, everything],
  [
    "NotIn matches pods without the label",
    [policy("x", "not-blue", { ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchExpressions: [{ key: "color", operator: "NotIn", values: ["blue"] }] } }] }] })],
    TCP80,
    everything,
  ],
  [
    "DoesNotExist matches every model pod (none has the key), Exists none",
    [policy("x", "exists", { ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchExpressions: [{ key: "color", operator: "Exists" }] } }] }] })],
    TCP80,
    (_f, t) => t.ns !== "x",
  ],
  [
    "a policy whose podSelector selects no pod changes nothing",
    [policy("x", "nobody", { podSelector: { matchLabels: { pod: "nope" } }, policyTypes: ["Ingress", "Egress"] })],
    TCP80,
    everything,
  ],
  [
    "ports: only TCP 81 from y, probed on 80",
    [policy("x", "y-81", { podSelector: { matchLabels: { pod: "a" } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: "y" } } }], ports: [{ port: 81, protocol: "TCP" }] }] })],
    TCP80,
    (_f, t) => key(t) !== "x/a",
  ],
  [
    "ports: only TCP 81 from y, probed on 81",
    [policy("x", "y-81", { podSelector: { matchLabels: { pod: "a" } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: "y" } } }], ports: [{ port: 81, protocol: "TCP" }] }] })],
    TCP81,
    (f, t) => key(t) !== "x/a" || f.ns === "y",
  ],
  [
    "a rule with ports does not admit ICMP",
    [policy("x", "tcp-only", { ingress: [{ ports: [{ port: 80 }] }] })],
    ICMP,
    (_f, t) => t.ns !== "x",
  ],
  [
    "multiple, stacked policies with overlapping podSelectors are unioned (80)",
    [
      policy("x", "y-80", { podSelector: { matchLabels: { pod: "a" } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: "y" } } }], ports: [{ port: 80 }] }] }),
      policy("x", "y-81", { ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: "y" } } }], ports: [{ port: 81 }] }] }),
    ],
    TCP80,
    (f, t) => t.ns !== "x" || (key(t) === "x/a" && f.ns === "y"),
  ],
  [
    "multiple, stacked policies with overlapping podSelectors are unioned (81)",
    [
      policy("x", "y-80", { podSelector: { matchLabels: { pod: "a" } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: "y" } } }], ports: [{ port: 80 }] }] }),
      policy("x", "y-81", { ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: "y" } } }], ports: [{ port: 81 }] }] }),
    ],
    TCP81,
    (f, t) => t.ns !== "x" || f.ns === "y",
  ],
  [
    "multiple ingress policies: the allow-all one takes precedence",
    [policy("x", "only-80", { ingress: [{ ports: [{ port: 80 }] }] }), policy("x", "allow-all", { ingress: [{}] })],
    TCP81,
    everything,
  ],
  [
    "multiple egress policies: the allow-all one takes precedence",
    [policy("x", "only-80", { policyTypes: ["Egress"], egress: [{ ports: [{ port: 80 }] }] }), policy("x", "allow-all", { policyTypes: ["Egress"], egress: [{}] })],
    TCP81,
    everything,
  ],
  ["ingress on one named port: serve-81-tcp admits 81", [policy("x", "named", { ingress: [{ ports: [{ port: "serve-81-tcp" }] }] })], TCP81, everything],
  ["ingress on one named port: serve-81-tcp denies 80", [policy("x", "named", { ingress: [{ ports: [{ port: "serve-81-tcp" }] }] })], TCP80, (_f, t) => t.ns !== "x"],
  [
    "a named port must agree on protocol: serve-81-tcp does not admit UDP 81",
    [policy("x", "named", { ingress: [{ ports: [{ port: "serve-81-tcp", protocol: "UDP" }] }] })],
    UDP81,
    (_f, t) => t.ns !== "x",
  ],
  ["a named UDP port with protocol UDP admits UDP 80", [policy("x", "named", { ingress: [{ ports: [{ port: "serve-80-udp", protocol: "UDP" }] }] })], UDP80, everything],
  [
    "ingress from a namespace on one named port",
    [policy("x", "named-y", { ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: "y" } } }], ports: [{ port: "serve-80-tcp" }] }] })],
    TCP80,
    (f, t) => t.ns !== "x" || f.ns === "y",
  ],
  [
    "egress on one named port, resolved on the destination: 80 allowed",
    [policy("x", "egress-named", { policyTypes: ["Egress"], egress: [{ ports: [{ port: "serve-80-tcp" }] }] })],
    TCP80,
    everything,
  ],
  [
    "egress on one named port, resolved on the destination: 81 denied",
    [policy("x", "egress-named", { policyTypes: ["Egress"], egress: [{ ports: [{ port: "serve-80-tcp" }] }] })],
    TCP81,
    (f) => f.ns !== "x",
  ],
  [
    "any port of a protocol: ports [{protocol: TCP}] admits TCP 81",
    [policy("x", "any-tcp", { podSelector: { matchLabels: { pod: "a" } }, ingress: [{ ports: [{ protocol: "TCP" }] }] })],
    TCP81,
    everything,
  ],
  [
    "any port of a protocol: ports [{protocol: TCP}] denies UDP 80",
    [policy("x", "any-tcp", { podSelector: { matchLabels: { pod: "a" } }, ingress: [{ ports: [{ protocol: "TCP" }] }] })],
    UDP80,
    (_f, t) => key(t) !== "x/a",
  ],
  ["protocol defaults to TCP: port 80 does not admit UDP 80", [policy("x", "p80", { ingress: [{ ports: [{ port: 80 }] }] })], UDP80, (_f, t) => t.ns !== "x"],
  ["'protocol: SCTP' is not TCP (TCP 80 denied)", [policy("x", "sctp", { ingress: [{ ports: [{ port: 80, protocol: "SCTP" }] }] })], TCP80, (_f, t) => t.ns !== "x"],
  ["'protocol: SCTP' admits SCTP 80", [policy("x", "sctp", { ingress: [{ ports: [{ port: 80, protocol: "SCTP" }] }] })], SCTP80, everything],
  ["only UDP 81: TCP 81 denied", [policy("x", "udp", { ingress: [{ ports: [{ port: 81, protocol: "UDP" }] }] })], TCP81, (_f, t) => t.ns !== "x"],
  ["only UDP 81: UDP 81 allowed", [policy("x", "udp", { ingress: [{ ports: [{ port: 81, protocol: "UDP" }] }] })], UDP81, everything],
  ["endPort range 80-81 admits 81", [policy("x", "range", { ingress: [{ ports: [{ port: 80, endPort: 81 }] }] })], TCP81, everything],
  ["endPort range 81-90 excludes 80", [policy("x", "range", { ingress: [{ ports: [{ port: 81, endPort: 90 }] }] })], TCP80, (_f, t) => t.ns !== "x"],
  ["endPort range 70-80 is inclusive at the top", [policy("x", "range", { ingress: [{ ports: [{ port: 70, endPort: 80 }] }] })], TCP80, everything],
  [
    "egress port range to a namespace",
    [policy("x", "egress-range", { policyTypes: ["Egress"], egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: "y" } } }], ports: [{ port: 80, endPort: 81 }] }] })],
    TCP81,
    (f, t) => f.ns !== "x" || t.ns === "y",
  ],
  [
    "denying egress on the client side even when the server allows it",
    [
      policy("x", "egress-to-y", { podSelector: { matchLabels: { pod: "a" } }, policyTypes: ["Egress"], egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: "y" } } }] }] }),
      policy("z", "allow-xa", { ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: "x" } }, podSelector: { matchLabels: { pod: "a" } } }] }] }),
    ],
    TCP80,
    (f, t) => (key(f) !== "x/a" || t.ns === "y") && (t.ns !== "z" || key(f) === "x/a"),
  ],
  [
    "egress to a server in a different namespace by PodSelector AND NamespaceSelector",
    [policy("x", "egress-ya", { podSelector: { matchLabels: { pod: "a" } }, policyTypes: ["Egress"], egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: "y" } }, podSelector: { matchLabels: { pod: "a" } } }] }] })],
    TCP80,
    (f, t) => key(f) !== "x/a" || key(t) === "y/a",
  ],
  [
    "Ingress and Egress specified together",
    [
      policy("x", "both", {
        podSelector: { matchLabels: { pod: "a" } },
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [{ podSelector: { matchLabels: { pod: "b" } } }] }],
        egress: [{ to: [{ podSelector: { matchLabels: { pod: "c" } } }] }],
      }),
    ],
    TCP80,
    (f, t) => (key(t) !== "x/a" || key(f) === "x/b") && (key(f) !== "x/a" || key(t) === "x/c"),
  ],
  [
    "policyTypes absent with egress rules: Ingress and Egress both isolate",
    [policy("x", "implicit", { podSelector: { matchLabels: { pod: "a" } }, egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: "y" } } }] }] })],
    TCP80,
    (f, t) => key(t) !== "x/a" && (key(f) !== "x/a" || t.ns === "y"),
  ],
  [
    "policyTypes absent without egress rules: only Ingress isolates",
    [policy("x", "implicit", { podSelector: { matchLabels: { pod: "a" } }, ingress: [{ from: [{ podSelector: { matchLabels: { pod: "b" } } }] }] })],
    TCP80,
    (f, t) => key(t) !== "x/a" || key(f) === "x/b",
  ],
  [
    "policyTypes [Egress] ignores ingress rules and does not isolate ingress",
    [policy("x", "egress-only", { policyTypes: ["Egress"], ingress: [{ from: [{ podSelector: { matchLabels: { pod: "b" } } }] }], egress: [{}] })],
    TCP80,
    everything,
  ],
  [
    "egress to a server in a CIDR block (y/b's /32)",
    [policy("x", "cidr", { podSelector: { matchLabels: { pod: "a" } }, policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: `${ipOf({ ns: "y", pod: "b" })}/32` } }] }] })],
    TCP80,
    (f, t) => key(f) !== "x/a" || key(t) === "y/b",
  ],
  [
    "except clause in an egress CIDR block",
    [policy("x", "except", { podSelector: { matchLabels: { pod: "a" } }, policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "10.1.1.0/24", except: [`${ipOf({ ns: "y", pod: "b" })}/32`] } }] }] })],
    TCP80,
    (f, t) => key(f) !== "x/a" || (t.ns === "y" && t.pod !== "b"),
  ],
  [
    "an IP in both CIDR and except of one policy is allowed by another policy",
    [
      policy("x", "except", { podSelector: { matchLabels: { pod: "a" } }, policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "10.1.1.0/24", except: ["10.1.1.2/32"] } }] }] }),
      policy("x", "exact", { podSelector: { matchLabels: { pod: "a" } }, policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "10.1.1.2/32" } }] }] }),
    ],
    TCP80,
    (f, t) => key(f) !== "x/a" || t.ns === "y",
  ],
  [
    "ingress ipBlock matches pod IPs (non-canonical 10.1.2.7/24 read as 10.1.2.0/24)",
    [policy("x", "from-z", { ingress: [{ from: [{ ipBlock: { cidr: "10.1.2.7/24" } }] }] })],
    TCP80,
    (f, t) => t.ns !== "x" || f.ns === "z",
  ],
  [
    "ingress and egress are controlled independently",
    [
      policy("x", "deny-egress-a", { podSelector: { matchLabels: { pod: "a" } }, policyTypes: ["Egress"] }),
      policy("x", "deny-ingress-b", { podSelector: { matchLabels: { pod: "b" } }, policyTypes: ["Ingress"] }),
    ],
    TCP80,
    (f, t) => key(f) !== "x/a" && key(t) !== "x/b",
  ],
];

describe("evaluate and matrix on the e2e netpol model", () => {
  it.each(cases)("%s", (_name, policies, traffic, expected) => {
    const index = buildIndex(modelCluster(policies));
    expect(index.warnings).toEqual([]);
    const want: string[] = [];
    const gotEvaluate: string[] = [];
    for (const from of ALL_PODS) {
      for (const to of ALL_PODS) {
        if (key(from) === key(to)) continue;
        const line = (allowed: boolean) => `${key(from)} → ${key(to)}: ${allowed ? "allowed" : "denied"}`;
        want.push(line(expected(from, to)));
        gotEvaluate.push(line(evaluate(index, endpoint(index, key(from)), endpoint(index, key(to)), traffic).allowed));
      }
    }
    expect(gotEvaluate).toEqual(want);
    const gotMatrix = matrixCells(matrix(index, traffic)).map((c) => `${c.from} → ${c.to}: ${c.allowed ? "allowed" : "denied"}`);
    expect(gotMatrix).toEqual(want);
  });
});

describe("special ends", () => {
  const denyAll = [policy("x", "deny", { policyTypes: ["Ingress", "Egress"] })];
  const egressOut = [policy("x", "out", { policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] } }] }] })];
  const ingressFrom = [policy("x", "in", { ingress: [{ from: [{ ipBlock: { cidr: "192.0.2.0/24", except: ["192.0.2.128/25"] } }] }] })];
  const selectorsOnly = [policy("x", "sel", { ingress: [{ from: [{ namespaceSelector: {} }] }] })];
  const openRule = [policy("x", "open", { ingress: [{ ports: [{ port: 80 }] }] })];
  it.each<[string, NetworkPolicy[], string, string, Traffic, boolean]>([
    ["a pod always reaches itself, even under deny-all", denyAll, "x/a", "x/a", TCP80, true],
    ["a pod's own IP is the pod: itself under deny-all", denyAll, "x/a", "10.1.0.1", ICMP, true],
    ["an outside IP reaches a pod no policy isolates", denyAll, "192.0.2.10", "y/a", TCP80, true],
    ["a pod reaches an outside IP when not egress-isolated", denyAll, "y/a", "192.0.2.10", TCP80, true],
    ["deny-all stops traffic to the outside", denyAll, "x/a", "192.0.2.10", TCP80, false],
    ["deny-all stops traffic from the outside", denyAll, "192.0.2.10", "x/a", TCP80, false],
    ["egress 0.0.0.0/0 except 10/8 reaches the outside", egressOut, "x/a", "192.0.2.10", TCP80, true],
    ["egress 0.0.0.0/0 except 10/8 does not reach pods", egressOut, "x/a", "y/a", TCP80, false],
    ["ingress ipBlock admits an outside IP inside it", ingressFrom, "192.0.2.127", "x/a", TCP80, true],
    ["ingress ipBlock excludes the first IP of except", ingressFrom, "192.0.2.128", "x/a", TCP80, false],
    ["ingress ipBlock excludes an IP past its end", ingressFrom, "192.0.3.0", "x/a", TCP80, false],
    ["an IPv6 outside address does not match an IPv4 block", ingressFrom, "2001:db8::1", "x/a", TCP80, false],
    ["selectors never match outside IPs", selectorsOnly, "192.0.2.10", "x/a", TCP80, false],
    ["a rule without peers admits outside IPs", openRule, "192.0.2.10", "x/a", TCP80, true],
    ["a probe to a named port resolves on the destination", [], "x/a", "y/b", { protocol: "TCP", port: "serve-81-tcp" }, true],
    ["a probe to a port name the destination lacks is denied", [], "x/a", "y/b", { protocol: "TCP", port: "http" }, false],
    ["a probe to a named port of an outside IP is denied", [], "x/a", "192.0.2.10", { protocol: "TCP", port: "serve-80-tcp" }, false],
  ])("%s", (_name, policies, from, to, traffic, allowed) => {
    const index = buildIndex(modelCluster(policies));
    expect(evaluate(index, endpoint(index, from), endpoint(index, to), traffic).allowed).toBe(allowed);
    const m = matrixCells(matrix(index, traffic, { namespaces: ["x", "y"], externals: [from, to].filter((e) => !e.includes("/")) }));
    const cell = m.find((c) => c.from === from && c.to === to);
    if (from !== to && !(from === "x/a" && to === "10.1.0.1")) expect(cell?.allowed).toBe(allowed);
  });
});

describe("reasons", () => {
  it("names the isolating policy and the admitting rule, peer and port", () => {
    const index = buildIndex(
      modelCluster([policy("x", "allow-b", { podSelector: { matchLabels: { pod: "a" } }, ingress: [{ ports: [{ port: 81 }] }, { from: [{ podSelector: { matchLabels: { pod: "c" } } }, { podSelector: { matchLabels: { pod: "b" } } }], ports: [{ port: 81 }, { port: 80 }] }] })]),
    );
    const result = evaluate(index, endpoint(index, "x/b"), endpoint(index, "x/a"), TCP80);
    expect(result).toMatchObject({
      allowed: true,
      egress: { reason: "not-isolated", isolated: false },
      ingress: { reason: "admitted", isolated: true, isolatedBy: ["x/allow-b"], admittedBy: [{ policy: "x/allow-b", direction: "Ingress", rule: 1, peer: 1, port: 1 }] },
    });
  });

  it("says no rule admits when the pod is isolated and nothing matches", () => {
    const index = buildIndex(modelCluster([policy("x", "deny", { policyTypes: ["Egress"] })]));
    expect(evaluate(index, endpoint(index, "x/b"), endpoint(index, "y/a"), ICMP).egress).toMatchObject({ allowed: false, reason: "no-rule-admits", isolatedBy: ["x/deny"], admittedBy: [] });
  });

  it.each<[string, NetworkPolicy, string[]]>([
    ["absent policyTypes without egress rules is Ingress", policy("x", "p", { ingress: [{}] }), ["Ingress"]],
    ["absent policyTypes with egress rules is Ingress and Egress", policy("x", "p", { egress: [{}] }), ["Ingress", "Egress"]],
    ["absent policyTypes with an empty egress list is Ingress", policy("x", "p", { egress: [] }), ["Ingress"]],
    ["written policyTypes are kept", policy("x", "p", { policyTypes: ["Egress"], ingress: [{}] }), ["Egress"]],
  ])("effective policyTypes: %s", (_name, p, types) => {
    expect(effectivePolicyTypes(p)).toEqual(types);
  });
});

describe("resolveEndpoint", () => {
  const index = buildIndex(modelCluster());
  it.each<[string, string, string]>([
    ["an unknown pod names the namespace's pods", "x/nope", "unknown pod x/nope (pods in x: a, b, c)"],
    ["an unknown namespace says so", "w/a", "unknown pod w/a (no pods in namespace w)"],
    ["text that is neither", "hello", "'hello' is neither namespace/pod nor an IP address"],
    ["a bad IP", "10.0.0.256", "'10.0.0.256' is neither namespace/pod nor an IP address"],
  ])("%s", (_name, text, error) => {
    expect(resolveEndpoint(index, text)).toEqual({ ok: false, error });
  });
});
