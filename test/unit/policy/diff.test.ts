import { describe, expect, it } from "@jest/globals";
import type { Namespace, NetworkPolicy, Pod } from "../../../src/k8s/objects.js";
import { diffConnectivity, groupByCause, type PairChange } from "../../../src/policy/diff.js";
import { overlay } from "../../../src/policy/overlay.js";
import { buildIndex, type Traffic } from "../../../src/policy/reachability.js";

const TCP80: Traffic = { protocol: "TCP", port: 80 };
const TCP443: Traffic = { protocol: "TCP", port: 443 };

function ns(name: string, labels: Record<string, string> = {}): Namespace {
  return { metadata: { name, labels } };
}

function pod(namespace: string, name: string, ip: string, labels: Record<string, string> = { app: name }): Pod {
  return { metadata: { name, namespace, labels }, spec: { containers: [{ name: "c", ports: [{ name: "http", containerPort: 80, protocol: "TCP" }] }] }, status: { podIP: ip } };
}

function np(namespace: string, name: string, spec: NetworkPolicy["spec"], labels?: Record<string, string>): NetworkPolicy {
  return { metadata: { name, namespace, ...(labels ? { labels } : {}) }, spec };
}

const NAMESPACES = [ns("a", { team: "a" }), ns("b", { team: "b" })];
const PODS = [pod("a", "web", "10.0.0.1"), pod("a", "db", "10.0.0.2"), pod("b", "client", "10.0.1.1")];
const DENY_DB = np("a", "deny-db", { podSelector: { matchLabels: { app: "db" } }, policyTypes: ["Ingress"] });
const WEB_TO_DB = np("a", "web-to-db", { podSelector: { matchLabels: { app: "db" } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: "web" } } }] }] });
const DB_443 = np("a", "db-ports", { podSelector: { matchLabels: { app: "db" } }, ingress: [{ ports: [{ port: 443 }] }] });
const DB_80 = np("a", "db-ports", { podSelector: { matchLabels: { app: "db" } }, ingress: [{ ports: [{ port: 80 }] }] });
const CLIENT_NO_EGRESS = np("b", "no-egress", { podSelector: {}, policyTypes: ["Egress"] });
const FROM_TEAM_B = np("a", "from-team-b", { podSelector: { matchLabels: { app: "web" } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "b" } } }] }] });

type State = { namespaces?: Namespace[]; pods?: Pod[]; policies?: NetworkPolicy[] };
const index = (s: State) => buildIndex({ namespaces: s.namespaces ?? NAMESPACES, pods: s.pods ?? PODS, policies: s.policies ?? [] });

/** "lost a/web → a/db TCP/80 [Ingress] by NetworkPolicy a/deny-db added" */
function line(c: PairChange): string {
  const causes = c.causes.map((k) => `${k.kind} ${k.name} ${k.change}${k.profile ? ` (profile ${k.profile})` : ""}`).join(", ");
  return `${c.change} ${c.from} → ${c.to} ${c.protocol}/${String(c.port)} [${c.sides.join(",")}] by ${causes}`;
}

describe("diffConnectivity: which pairs change and why", () => {
  it.each<[string, State, State, Traffic[], string[]]>([
    ["the same state changes nothing", { policies: [DENY_DB] }, { policies: [DENY_DB] }, [TCP80], []],
    [
      "a default deny loses every pair into the pod, caused by the added policy",
      {},
      { policies: [DENY_DB] },
      [TCP80],
      ["lost a/web → a/db TCP/80 [Ingress] by NetworkPolicy a/deny-db added", "lost b/client → a/db TCP/80 [Ingress] by NetworkPolicy a/deny-db added"],
    ],
    [
      "removing the deny gains them back, caused by the removed policy",
      { policies: [DENY_DB] },
      {},
      [TCP80],
      ["gained a/web → a/db TCP/80 [Ingress] by NetworkPolicy a/deny-db removed", "gained b/client → a/db TCP/80 [Ingress] by NetworkPolicy a/deny-db removed"],
    ],
    [
      "an allow rule on an isolated pod gains one pair, caused by the allow only (the deny's stance does not move)",
      { policies: [DENY_DB] },
      { policies: [DENY_DB, WEB_TO_DB] },
      [TCP80],
      ["gained a/web → a/db TCP/80 [Ingress] by NetworkPolicy a/web-to-db added"],
    ],
    [
      "a port change is seen per port: 80 gained, 443 lost",
      { policies: [DB_443] },
      { policies: [DB_80] },
      [TCP80, TCP443],
      [
        "gained a/web → a/db TCP/80 [Ingress] by NetworkPolicy a/db-ports changed",
        "gained b/client → a/db TCP/80 [Ingress] by NetworkPolicy a/db-ports changed",
        "lost a/web → a/db TCP/443 [Ingress] by NetworkPolicy a/db-ports changed",
        "lost b/client → a/db TCP/443 [Ingress] by NetworkPolicy a/db-ports changed",
      ],
    ],
    [
      "an egress policy loses the source's pairs on the egress side; an unrelated changed policy is not a cause",
      { policies: [DB_443] },
      { policies: [DB_80, CLIENT_NO_EGRESS] },
      [TCP443],
      ["lost a/web → a/db TCP/443 [Ingress] by NetworkPolicy a/db-ports changed", "lost b/client → a/db TCP/443 [Egress,Ingress] by NetworkPolicy a/db-ports changed, NetworkPolicy b/no-egress added", "lost b/client → a/web TCP/443 [Egress] by NetworkPolicy b/no-egress added"],
    ],
    [
      "a namespace label change moves an unchanged policy: the namespace is the cause",
      { policies: [FROM_TEAM_B] },
      { policies: [FROM_TEAM_B], namespaces: [ns("a", { team: "a" }), ns("b", { team: "c" })] },
      [TCP80],
      ["lost b/client → a/web TCP/80 [Ingress] by Namespace b changed"],
    ],
    [
      "a new pod's pairs are gained, caused by the pod",
      {},
      { pods: [...PODS, pod("b", "new", "10.0.1.2")] },
      [TCP80],
      [
        "gained a/db → b/new TCP/80 [] by Pod b/new added",
        "gained a/web → b/new TCP/80 [] by Pod b/new added",
        "gained b/client → b/new TCP/80 [] by Pod b/new added",
        "gained b/new → a/db TCP/80 [] by Pod b/new added",
        "gained b/new → a/web TCP/80 [] by Pod b/new added",
        "gained b/new → b/client TCP/80 [] by Pod b/new added",
      ],
    ],
    [
      "a relabelled pod no longer selected by an allow rule loses its pair, caused by the pod",
      { policies: [WEB_TO_DB] },
      { policies: [WEB_TO_DB], pods: [pod("a", "web", "10.0.0.1", { app: "frontend" }), ...PODS.slice(1)] },
      [TCP80],
      ["lost a/web → a/db TCP/80 [Ingress] by Pod a/web changed"],
    ],
  ])("%s", (_name, before, after, traffics, expected) => {
    const diff = diffConnectivity(index(before), index(after), traffics);
    expect(diff.changes.map(line)).toEqual(expected);
  });

  it("names the profile of a netfence-generated policy", () => {
    const generated = np("a", "netfence-lock", { podSelector: {}, policyTypes: ["Ingress"] }, { "app.kubernetes.io/managed-by": "netfence", "netfence.io/profile": "lock" });
    const diff = diffConnectivity(index({}), index({ policies: [generated] }), [TCP80], { namespaces: ["a"] });
    expect(diff.changes.map(line)).toEqual(["lost a/db → a/web TCP/80 [Ingress] by NetworkPolicy a/netfence-lock added (profile lock)", "lost a/web → a/db TCP/80 [Ingress] by NetworkPolicy a/netfence-lock added (profile lock)"]);
    expect(groupByCause(diff.changes).map((g) => `${g.namespace}: ${g.title} (${String(g.changes.length)})`)).toEqual(["a: IsolationProfile lock (NetworkPolicy a/netfence-lock added) (2)"]);
  });

  it("counts the pairs compared over every traffic and ignores a spec's key order", () => {
    const reordered = np("a", "deny-db", { policyTypes: ["Ingress"], podSelector: { matchLabels: { app: "db" } } });
    const diff = diffConnectivity(index({ policies: [DENY_DB] }), index({ policies: [reordered] }), [TCP80, TCP443]);
    expect({ pairs: diff.pairs, changes: diff.changes.length }).toEqual({ pairs: 12, changes: 0 });
  });

  it("groups a change with two causes under each, by namespace", () => {
    const diff = diffConnectivity(index({ policies: [DB_443] }), index({ policies: [DB_80, CLIENT_NO_EGRESS] }), [TCP443]);
    expect(groupByCause(diff.changes).map((g) => `${g.namespace}: ${g.title}: ${g.changes.map((c) => `${c.from}→${c.to}`).join(" ")}`)).toEqual([
      "a: NetworkPolicy a/db-ports changed: a/web→a/db b/client→a/db",
      "b: NetworkPolicy b/no-egress added: b/client→a/db b/client→a/web",
    ]);
  });
});

describe("overlay: the live cluster with files applied", () => {
  const live = [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "a" } },
    { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "keep", namespace: "a" }, spec: { podSelector: {} } },
    { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "replace", namespace: "a" }, spec: { podSelector: {} } },
    { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "netfence-p", namespace: "a", labels: { "app.kubernetes.io/managed-by": "netfence", "netfence.io/profile": "p" } }, spec: { podSelector: {} } },
    { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "netfence-q", namespace: "a", labels: { "app.kubernetes.io/managed-by": "netfence", "netfence.io/profile": "q" } }, spec: { podSelector: {} } },
  ];
  const files = [
    { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "replace", namespace: "a" }, spec: { podSelector: { matchLabels: { x: "y" } } } },
    { apiVersion: "netfence.io/v1alpha1", kind: "IsolationProfile", metadata: { name: "p" }, spec: {} },
  ];

  it("replaces objects by kind, namespace and name, and drops the live policies of a profile the files redefine", () => {
    const names = overlay(live, files).map((o) => `${String(o.kind)}/${(o.metadata as { name: string }).name}`);
    expect(names).toEqual(["Namespace/a", "NetworkPolicy/keep", "NetworkPolicy/netfence-q", "NetworkPolicy/replace", "IsolationProfile/p"]);
    expect(overlay(live, files)).toContain(files[0]);
  });

  it("puts a namespaced object without a namespace in default", () => {
    const inDefault = [{ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "x", namespace: "default" } }];
    expect(overlay(inDefault, [{ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "x" } }])).toHaveLength(1);
  });
});
