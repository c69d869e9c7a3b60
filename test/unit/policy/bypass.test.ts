import { describe, expect, it } from "@jest/globals";
import { parseProfile } from "../../../src/api/parse.js";
import { bypassVerdict, formatBypass, type BypassEntry } from "../../../src/policy/bypass.js";
import type { NetworkPolicy, NetworkPolicySpec } from "../../../src/k8s/objects.js";
import { renderProfile } from "../../../src/policy/render.js";

type Spec = Record<string, unknown>;

/** The profile's real generated policy in namespace dev (renderProfile, as the controller has it). */
function desired(spec: Spec, name = "iso"): NetworkPolicy {
  const parsed = parseProfile({ apiVersion: "netfence.io/v1alpha1", kind: "IsolationProfile", metadata: { name }, spec: { namespaces: { names: ["dev"] }, ...spec } });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const [policy] = renderProfile(parsed.value, [{ metadata: { name: "dev", labels: { "kubernetes.io/metadata.name": "dev" } } }]);
  if (!policy) throw new Error("profile selects no namespace dev");
  return policy;
}

function np(name: string, spec: Partial<NetworkPolicySpec>, namespace = "dev"): NetworkPolicy {
  return { metadata: { name, namespace }, spec: { podSelector: {}, ...spec } };
}

function line(e: BypassEntry): string {
  return `${e.certainty} ${formatBypass({ ...e, certainty: "Certain" })}`;
}

function verdictLines(profile: Spec, policies: NetworkPolicy[], profileName = "iso"): string[] {
  const v = bypassVerdict({ profileName, namespace: "dev", desired: desired(profile, profileName), policies });
  expect(v.state).toBe(v.bypassedBy.length > 0 ? "Bypassed" : "Isolated");
  return v.bypassedBy.map(line);
}

const DENY_IN: Spec = { preset: "deny-ingress" };
const SAME: Spec = { preset: "allow-same-namespace" };
const DENY_EG: Spec = { preset: "deny-egress" };
const DENY_ALL: Spec = { preset: "deny-all" };
const WEB_TEAM_A: Spec = {
  preset: "allow-by-label",
  allowedPeers: [{ namespaceSelector: { matchLabels: { team: "a" } }, podSelector: { matchLabels: { app: "web" } } }],
  ports: [{ protocol: "TCP", port: 8080, endPort: 8090 }],
};
const CIDR: Spec = { preset: "allow-by-label", allowedPeers: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["10.3.0.0/16"] } }] };
const NAMED: Spec = { preset: "allow-by-label", allowedPeers: [{ namespaceSelector: {} }], ports: [{ port: "http" }] };
const ANY_NS = { namespaceSelector: {} };
const nsName = (name: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } } });
const DNS_PODS = { ...nsName("kube-system"), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } };
const ALL_OTHER_PORTS = "TCP 1-79, 81-65535, any UDP port, any SCTP port, ICMP and other protocols";
const sameNamespaceOf = (name: string): NetworkPolicy => ({ ...desired(SAME, name) });

describe("bypassVerdict", () => {
  it.each<[string, Spec, NetworkPolicy[], string[]]>([
    // nothing else in the namespace, or nothing wider
    ["no other policy leaves the namespace isolated", DENY_IN, [], []],
    ["a policy of type Ingress without rules admits nothing", DENY_IN, [np("deny", { policyTypes: ["Ingress"] })], []],
    ["an Egress-only policy under deny-ingress does not touch ingress", DENY_IN, [np("out", { policyTypes: ["Egress"], egress: [{}] })], []],
    ["an egress policy under an ingress-only preset is not a bypass", SAME, [np("out", { policyTypes: ["Egress"], egress: [{}] })], []],
    ["a policy in another namespace is not read", DENY_IN, [np("elsewhere", { ingress: [{}] }, "test")], []],
    // allow-all shapes
    ["an empty ingress rule admits everyone", DENY_IN, [np("allow-all", { ingress: [{}] })], ["Certain dev/allow-all ingress[0]: any pod in any namespace and any address, any port"]],
    ["an empty from list is everyone too", DENY_IN, [np("allow-all", { ingress: [{ from: [], ports: [] }] })], ["Certain dev/allow-all ingress[0]: any pod in any namespace and any address, any port"]],
    ["a namespaceSelector {} peer admits every pod of every namespace", DENY_IN, [np("allow-all", { ingress: [{ from: [ANY_NS] }] })], ["Certain dev/allow-all ingress[0]: any pod in any namespace, any port"]],
    ["a podSelector-only peer under deny-ingress admits this namespace's pods", DENY_IN, [np("web", { ingress: [{ from: [{ podSelector: { matchLabels: { app: "web" } } }], ports: [{ port: 80 }] }] })], ["Certain dev/web ingress[0]: pods app=web in namespace dev, TCP 80"]],
    // allow-same-namespace
    ["a same-namespace allow under allow-same-namespace is contained", SAME, [np("same", { ingress: [{ from: [{ podSelector: {} }] }] })], []],
    ["a narrower same-namespace allow is contained", SAME, [np("web", { ingress: [{ from: [{ podSelector: { matchLabels: { app: "web" } } }], ports: [{ port: 80 }] }] })], []],
    ["naming the namespace by kubernetes.io/metadata.name is the same namespace", SAME, [np("by-name", { ingress: [{ from: [nsName("dev")] }] })], []],
    ["kubernetes.io/metadata.name In (dev) with a pod selector is contained", SAME, [np("in", { ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: ["dev"] }] }, podSelector: { matchLabels: { app: "x" } } }] }] })], []],
    ["another namespace by name is a bypass", SAME, [np("from-test", { ingress: [{ from: [nsName("test")] }] })], ["Certain dev/from-test ingress[0]: any pod in namespaces kubernetes.io/metadata.name=test, any port"]],
    ["namespaces by a team label is a bypass", SAME, [np("team", { ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "a" } } }] }] })], ["Certain dev/team ingress[0]: any pod in namespaces team=a, any port"]],
    ["an ipBlock is not the namespace's pods", SAME, [np("cidr", { ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/8" } }] }] })], ["Certain dev/cidr ingress[0]: 10.0.0.0/8, any port"]],
    [
      "under allow-same-namespace with ports, other ports of the namespace are a bypass",
      { ...SAME, ports: [{ port: 80 }] },
      [np("same", { ingress: [{ from: [{ podSelector: {} }] }] })],
      [`Certain dev/same ingress[0]: any pod in namespace dev, ${ALL_OTHER_PORTS}`],
    ],
    ["under allow-same-namespace with ports, the same port is contained", { ...SAME, ports: [{ port: 80 }] }, [np("same", { ingress: [{ from: [{ podSelector: {} }], ports: [{ port: 80 }] }] })], []],
    // which pods the other policy selects
    ["a policy that selects only other pods is not a bypass", { ...DENY_IN, podSelector: { matchLabels: { app: "db" } } }, [np("web", { podSelector: { matchLabels: { app: "web" } }, ingress: [{}] })], []],
    ["a policy selecting every pod selects the isolated ones", { ...DENY_IN, podSelector: { matchLabels: { app: "db" } } }, [np("all", { ingress: [{ from: [ANY_NS] }] })], ["Certain dev/all ingress[0]: any pod in any namespace, any port"]],
    ["a policy on another label may select the same pods", { ...DENY_IN, podSelector: { matchLabels: { app: "db" } } }, [np("tier", { podSelector: { matchLabels: { tier: "x" } }, ingress: [{ from: [ANY_NS] }] })], ["Certain dev/tier ingress[0]: any pod in any namespace, any port"]],
    ["NotIn the isolated value selects none of them", { ...DENY_IN, podSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["db"] }] } }, [np("not-db", { podSelector: { matchExpressions: [{ key: "app", operator: "NotIn", values: ["db"] }] }, ingress: [{}] })], []],
    ["DoesNotExist on the isolated key selects none of them", { ...DENY_IN, podSelector: { matchLabels: { app: "db" } } }, [np("no-app", { podSelector: { matchExpressions: [{ key: "app", operator: "DoesNotExist" }] }, ingress: [{}] })], []],
    // label selectors and ports under allow-by-label
    ["the profile's own peer and ports again are contained", WEB_TEAM_A, [np("same", { ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "a" } }, podSelector: { matchLabels: { app: "web" } } }], ports: [{ port: 8085 }] }] })], []],
    ["a narrower selector {a:1,b:2} inside {a:1} is contained", WEB_TEAM_A, [np("narrow", { ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "a", env: "prod" } }, podSelector: { matchLabels: { app: "web", tier: "x" } } }], ports: [{ port: 8080, endPort: 8090 }] }] })], []],
    ["a wider port range is a bypass for the ports beyond", WEB_TEAM_A, [np("wide", { ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "a" } }, podSelector: { matchLabels: { app: "web" } } }], ports: [{ port: 8000, endPort: 9000 }] }] })], ["Certain dev/wide ingress[0]: pods app=web in namespaces team=a, TCP 8000-8079, 8091-9000"]],
    ["another protocol on the same port is a bypass", WEB_TEAM_A, [np("udp", { ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "a" } }, podSelector: { matchLabels: { app: "web" } } }], ports: [{ protocol: "UDP", port: 8080 }] }] })], ["Certain dev/udp ingress[0]: pods app=web in namespaces team=a, UDP 8080"]],
    ["a wider pod selector is a bypass", WEB_TEAM_A, [np("any-app", { ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "a" } } }], ports: [{ port: 8080 }] }] })], ["Certain dev/any-app ingress[0]: any pod in namespaces team=a, TCP 8080"]],
    ["an In set wider than the profile's value is a bypass", WEB_TEAM_A, [np("in-ab", { ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: "team", operator: "In", values: ["a", "b"] }] }, podSelector: { matchLabels: { app: "web" } } }], ports: [{ port: 8080 }] }] })], ["Certain dev/in-ab ingress[0]: pods app=web in namespaces team in (a,b), TCP 8080"]],
    [
      "an In set covered by two profile peers together is contained",
      { preset: "allow-by-label", allowedPeers: [{ namespaceSelector: { matchLabels: { team: "a" } } }, { namespaceSelector: { matchLabels: { team: "b" } } }] },
      [np("in-ab", { ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: "team", operator: "In", values: ["a", "b"] }] } }] }] })],
      [],
    ],
    ["matchLabels team=a is inside the profile's team Exists", { preset: "allow-by-label", allowedPeers: [{ namespaceSelector: { matchExpressions: [{ key: "team", operator: "Exists" }] } }] }, [np("a", { ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "a" } } }] }] })], []],
    ["team Exists is wider than the profile's team=a", { preset: "allow-by-label", allowedPeers: [{ namespaceSelector: { matchLabels: { team: "a" } } }] }, [np("any-team", { ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: "team", operator: "Exists" }] } }] }] })], ["Certain dev/any-team ingress[0]: any pod in namespaces team, any port"]],
    ["a selector matching no namespace admits nothing", SAME, [np("never", { ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "DoesNotExist" }] } }] }] })], []],
    [
      "a rule with many widening peers names the first four and counts the rest",
      DENY_IN,
      [np("many", { ingress: [{ from: ["a", "b", "c", "d", "e", "f"].map((team) => ({ namespaceSelector: { matchLabels: { team } } })), ports: [{ port: 80 }] }] })],
      ["Certain dev/many ingress[0]: any pod in namespaces team=a, TCP 80; any pod in namespaces team=b, TCP 80; any pod in namespaces team=c, TCP 80; any pod in namespaces team=d, TCP 80; and 2 more peers"],
    ],
    ["only the widening rule is named, by its index", SAME, [np("two", { ingress: [{ from: [{ podSelector: {} }] }, { from: [ANY_NS], ports: [{ port: 443 }] }] })], ["Certain dev/two ingress[1]: any pod in any namespace, TCP 443"]],
    // ipBlocks
    ["an ipBlock inside the allowed CIDR and outside its except is contained", CIDR, [np("inside", { ingress: [{ from: [{ ipBlock: { cidr: "10.1.0.0/16" } }] }] })], []],
    ["the same block with the same except is contained", CIDR, [np("same", { ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["10.3.0.0/16"] } }] }] })], []],
    ["a block inside the except is a bypass", CIDR, [np("except", { ingress: [{ from: [{ ipBlock: { cidr: "10.3.1.0/24" } }] }] })], ["Certain dev/except ingress[0]: 10.3.1.0/24, any port"]],
    ["a block covering the except is a bypass", CIDR, [np("whole", { ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/8" } }] }] })], ["Certain dev/whole ingress[0]: 10.0.0.0/8, any port"]],
    ["a smaller except leaves part of the profile's except open", CIDR, [np("smaller", { ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["10.3.0.0/17"] } }] }] })], ["Certain dev/smaller ingress[0]: 10.0.0.0/8 except 10.3.0.0/17, any port"]],
    ["an ipBlock with selectors is read as its ipBlock", CIDR, [np("mixed", { ingress: [{ from: [{ ipBlock: { cidr: "10.1.0.0/16" }, namespaceSelector: {} }] }] })], []],
    ["IPv6 blocks are compared as IPv6", { preset: "allow-by-label", allowedPeers: [{ ipBlock: { cidr: "fd00::/8" } }] }, [np("v6", { ingress: [{ from: [{ ipBlock: { cidr: "fd00:1::/32" } }, { ipBlock: { cidr: "10.0.0.0/8" } }] }] })], ["Certain dev/v6 ingress[0]: 10.0.0.0/8, any port"]],
    ["pods the profile admits only by ipBlock may be a bypass", CIDR, [np("team", { ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "a" } } }] }] })], ["Possible dev/team ingress[0]: any pod in namespaces team=a, any port"]],
    // named ports
    ["the same named port is contained", NAMED, [np("http", { ingress: [{ from: [ANY_NS], ports: [{ port: "http" }] }] })], []],
    ["a number against the profile's named port is possible", NAMED, [np("num", { ingress: [{ from: [ANY_NS], ports: [{ port: 80 }] }] })], ["Possible dev/num ingress[0]: any pod in any namespace, TCP 80"]],
    ["another name against the profile's named port is possible", NAMED, [np("metrics", { ingress: [{ from: [ANY_NS], ports: [{ port: "metrics" }] }] })], ["Possible dev/metrics ingress[0]: any pod in any namespace, TCP port metrics"]],
    ["a named port against the profile's number is possible", { ...NAMED, ports: [{ port: 80 }] }, [np("http", { ingress: [{ from: [ANY_NS], ports: [{ port: "http" }] }] })], ["Possible dev/http ingress[0]: any pod in any namespace, TCP port http"]],
    ["a named port is inside all ports of its protocol", { ...NAMED, ports: [{ protocol: "TCP" }] }, [np("http", { ingress: [{ from: [ANY_NS], ports: [{ port: "http" }] }] })], []],
    ["a named port of another protocol is a bypass", { ...NAMED, ports: [{ protocol: "TCP" }] }, [np("dns", { ingress: [{ from: [ANY_NS], ports: [{ protocol: "UDP", port: "dns" }] }] })], ["Certain dev/dns ingress[0]: any pod in any namespace, UDP port dns"]],
    // egress
    ["an egress allowance under deny-egress is a bypass", DENY_EG, [np("out", { policyTypes: ["Egress"], egress: [{ to: [ANY_NS], ports: [{ port: 443 }] }] })], ["Certain dev/out egress[0]: any pod in any namespace, TCP 443"]],
    ["DNS to the cluster DNS pods is the profile's own allowDNS", DENY_EG, [np("dns", { policyTypes: ["Egress"], egress: [{ to: [DNS_PODS], ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }] }] })], []],
    ["DNS to every pod of kube-system is wider than allowDNS", DENY_EG, [np("dns", { policyTypes: ["Egress"], egress: [{ to: [nsName("kube-system")], ports: [{ protocol: "UDP", port: 53 }] }] })], ["Certain dev/dns egress[0]: any pod in namespaces kubernetes.io/metadata.name=kube-system, UDP 53"]],
    ["DNS is a bypass once allowDNS is off", { ...DENY_EG, allowDNS: false }, [np("dns", { policyTypes: ["Egress"], egress: [{ to: [DNS_PODS], ports: [{ protocol: "UDP", port: 53 }] }] })], ["Certain dev/dns egress[0]: pods k8s-app=kube-dns in namespaces kubernetes.io/metadata.name=kube-system, UDP 53"]],
    ["an egress rule inside the profile's egress allowance is contained", { ...DENY_EG, egress: [{ to: [{ ipBlock: { cidr: "10.0.0.0/8" } }], ports: [{ port: 443 }] }] }, [np("https", { policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "10.1.0.0/16" } }], ports: [{ port: 443 }] }] })], []],
    ["another port to the allowed block is a bypass", { ...DENY_EG, egress: [{ to: [{ ipBlock: { cidr: "10.0.0.0/8" } }], ports: [{ port: 443 }] }] }, [np("http", { policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "10.1.0.0/16" } }], ports: [{ port: 80 }] }] })], ["Certain dev/http egress[0]: 10.1.0.0/16, TCP 80"]],
    ["an ingress allow-all under deny-egress is not a bypass", DENY_EG, [np("in", { policyTypes: ["Ingress"], ingress: [{}] })], []],
    ["without policyTypes, egress rules make a policy Egress too", DENY_EG, [np("implicit", { egress: [{}] })], ["Certain dev/implicit egress[0]: any pod in any namespace and any address, any port"]],
    ["without policyTypes and egress rules, a policy is Ingress only", DENY_EG, [np("implicit", { ingress: [{}] })], []],
    ["under deny-all each direction is judged on its own", DENY_ALL, [np("both", { policyTypes: ["Ingress", "Egress"], ingress: [{ from: [ANY_NS] }], egress: [{ to: [DNS_PODS], ports: [{ protocol: "UDP", port: 53 }] }] })], ["Certain dev/both ingress[0]: any pod in any namespace, any port"]],
    ["under deny-all an Egress-only policy is judged on egress", DENY_ALL, [np("out", { policyTypes: ["Egress"], egress: [{}] })], ["Certain dev/out egress[0]: any pod in any namespace and any address, any port"]],
    // two profiles on one namespace
    ["another profile's wider policy is a bypass naming it", DENY_IN, [desired(DENY_IN), sameNamespaceOf("team")], ["Certain dev/netfence-team ingress[0]: any pod in namespace dev, any port"]],
    ["another profile's narrower policy is not", SAME, [desired(SAME), desired(DENY_IN, "strict")], []],
    ["the profile's own policy is never its bypasser", SAME, [desired(SAME)], []],
  ])("%s", (_name, profile, policies, expected) => {
    expect(verdictLines(profile, policies)).toEqual(expected);
  });

  it.each<[string, Spec, NetworkPolicy, string]>([
    ["an address outside the profile's block", CIDR, np("whole", { ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/8" } }] }] }), "address 10.3.0.0, TCP 80"],
    ["a pod in a namespace with the label", SAME, np("team", { ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "a" } } }], ports: [{ port: 80 }] }] }), "a pod with no labels in namespace x (labelled team=a), TCP 80"],
    ["a namespace the profile does not name", DENY_EG, np("dns", { policyTypes: ["Egress"], egress: [{ to: [nsName("kube-system")], ports: [{ protocol: "UDP", port: 53 }] }] }), "a pod with no labels in namespace kube-system, UDP 53"],
    ["a pod label outside the profile's In set", WEB_TEAM_A, np("other-app", { ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "a" } }, podSelector: { matchExpressions: [{ key: "app", operator: "NotIn", values: ["web"] }] } }], ports: [{ port: 8080 }] }] }), "a pod with no labels in namespace x (labelled team=a), TCP 8080"],
  ])("a certain bypass names a witness: %s", (_name, profile, policy, witness) => {
    const v = bypassVerdict({ profileName: "iso", namespace: "dev", desired: desired(profile), policies: [policy] });
    expect(v.bypassedBy.map((e) => [e.certainty, e.witness])).toEqual([["Certain", witness]]);
  });

  it.each<[string, Spec, NetworkPolicy, string]>([
    ["a number against a named port", NAMED, np("num", { ingress: [{ from: [ANY_NS], ports: [{ port: 80 }] }] }), "whether the profile's named port http covers these numbers depends on the pods"],
    ["a named port against a number", { ...NAMED, ports: [{ port: 80 }] }, np("http", { ingress: [{ from: [ANY_NS], ports: [{ port: "http" }] }] }), "TCP port http is a name; whether the profile's ports cover it depends on the number the pods give it"],
    ["pods against an ipBlock", CIDR, np("team", { ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "a" } } }] }] }), "any pod in namespaces team=a: outside the profile's selectors, admitted by its ipBlock 10.0.0.0/8 except 10.3.0.0/16 only if their pod IPs fall in it"],
  ])("a possible bypass says why: %s", (_name, profile, policy, reason) => {
    const v = bypassVerdict({ profileName: "iso", namespace: "dev", desired: desired(profile), policies: [policy] });
    expect(v.bypassedBy.map((e) => [e.certainty, e.reason])).toEqual([["Possible", reason]]);
  });

  it("a selector search over its budget is a possible bypass, never Isolated", () => {
    const profile: Spec = { preset: "allow-by-label", allowedPeers: [{ namespaceSelector: { matchLabels: { team: "a" } } }, { namespaceSelector: { matchLabels: { env: "b" } } }] };
    const policy = np("team", { ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: "team", operator: "Exists" }] } }] }] });
    const v = bypassVerdict({ profileName: "iso", namespace: "dev", desired: desired(profile), policies: [policy] }, { searchBudget: 1 });
    expect(v).toEqual({
      state: "Bypassed",
      bypassedBy: [
        {
          policy: "dev/team",
          direction: "Ingress",
          rule: 0,
          certainty: "Possible",
          allows: "any pod in namespaces team, any port",
          reason: "any pod in namespaces team: the profile's peers might cover them only together; undecided within 1 search steps",
        },
      ],
    });
  });

  it("formats an entry as a user reads it", () => {
    expect(formatBypass({ policy: "dev/allow-all", direction: "Ingress", rule: 0, certainty: "Certain", allows: "any pod in any namespace, any port" })).toBe("dev/allow-all ingress[0]: any pod in any namespace, any port");
    expect(formatBypass({ policy: "dev/p", direction: "Egress", rule: 2, certainty: "Possible", allows: "TCP 80", reason: "named ports" })).toBe("dev/p egress[2]: TCP 80 (possible: named ports)");
  });
});

describe("bypassVerdict: tenant input cannot fool it", () => {
  const COPIED = { "app.kubernetes.io/managed-by": "netfence", "netfence.io/profile": "iso" };
  const owned = (p: NetworkPolicy, uid: string): NetworkPolicy => ({ ...p, metadata: { ...p.metadata, ownerReferences: [{ apiVersion: "netfence.io/v1alpha1", kind: "IsolationProfile", name: "iso", uid, controller: true }] } });

  it("a policy carrying copies of netfence's labels under another name is a bypass, named", () => {
    const copied: NetworkPolicy = { metadata: { name: "looks-generated", namespace: "dev", labels: COPIED }, spec: { podSelector: {}, ingress: [{}] } };
    expect(verdictLines(DENY_IN, [desired(DENY_IN), copied])).toEqual(["Certain dev/looks-generated ingress[0]: any pod in any namespace and any address, any port"]);
  });

  it("with the profile's uid, only the object at the generated name referencing that uid is the profile's own", () => {
    const own = owned(desired(DENY_IN), "u1");
    const impostor = owned({ metadata: { name: "other", namespace: "dev", labels: COPIED }, spec: { podSelector: {}, ingress: [{}] } }, "u1");
    const v = bypassVerdict({ profileName: "iso", profileUid: "u1", namespace: "dev", desired: own, policies: [own, impostor] });
    expect(v.bypassedBy.map((e) => e.policy)).toEqual(["dev/other"]);
  });

  it("a rule with 80 selector values is described within the status item limit, with a count of the rest", () => {
    const values = Array.from({ length: 80 }, (_, i) => `team-${String(i).padStart(3, "0")}-${"x".repeat(20)}`);
    const wide = np("wide", { ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: "team", operator: "In", values }] }, podSelector: { matchExpressions: [{ key: "app", operator: "NotIn", values }] } }] }] });
    const v = bypassVerdict({ profileName: "iso", namespace: "dev", desired: desired(DENY_IN), policies: [wide] });
    expect(v.state).toBe("Bypassed");
    const [entry] = v.bypassedBy;
    if (!entry) throw new Error("no entry");
    expect(formatBypass(entry).length).toBeLessThanOrEqual(1024);
    expect(entry.witness?.length ?? 0).toBeLessThanOrEqual(1024);
    expect(formatBypass(entry)).toMatch(/… and 7\d more values/);
  });

  it("many long matchLabels keys are cut to the limit with a count", () => {
    const matchLabels = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`example.com/key-${String(i)}-${"k".repeat(40)}`, "v".repeat(60)]));
    const wide = np("keys", { ingress: [{ from: [{ namespaceSelector: { matchLabels } }] }] });
    const [entry] = bypassVerdict({ profileName: "iso", namespace: "dev", desired: desired(SAME), policies: [wide] }).bypassedBy;
    if (!entry) throw new Error("no entry");
    expect(formatBypass(entry).length).toBeLessThanOrEqual(1024);
    expect(entry.witness?.length ?? 0).toBeLessThanOrEqual(1024);
  });

  it.each<[string, { cidr: string; except?: string[] }]>([
    ["a leading zero in the address", { cidr: "010.0.0.0/8" }],
    ["a prefix written /00", { cidr: "0.0.0.0/00" }],
    ["an except outside the block", { cidr: "10.0.0.0/16", except: ["192.168.0.0/24"] }],
  ])("an ipBlock the evaluator cannot read is a possible bypass with the reason: %s", (_name, ipBlock) => {
    const odd = np("odd", { ingress: [{ from: [{ ipBlock }] }] });
    const v = bypassVerdict({ profileName: "iso", namespace: "dev", desired: desired(DENY_IN), policies: [odd] });
    expect(v.state).toBe("Bypassed");
    expect(v.bypassedBy.map((e) => [e.certainty, e.reason?.includes(`ipBlock ${ipBlock.cidr}`), e.reason?.includes("cannot be read")])).toEqual([["Possible", true, true]]);
  });

  const TEAM_A: Spec = { preset: "allow-by-label", allowedPeers: [{ namespaceSelector: { matchLabels: { team: "a" } } }] };
  const samePods = np("same", { ingress: [{ from: [{ podSelector: {} }] }] });
  it.each<[string, Record<string, string>, string[]]>([
    ["the namespace's own pods are covered when the namespace itself has the peer's labels", { team: "a" }, []],
    ["and are a bypass when it does not", { team: "b" }, ["Certain dev/same ingress[0]: any pod in namespace dev, any port"]],
  ])("same namespace is judged with the namespace's labels: %s", (_name, labels, expected) => {
    const v = bypassVerdict({ profileName: "iso", namespace: "dev", namespaceLabels: { ...labels, "kubernetes.io/metadata.name": "dev" }, desired: desired(TEAM_A), policies: [samePods] });
    expect(v.bypassedBy.map(line)).toEqual(expected);
  });
});

