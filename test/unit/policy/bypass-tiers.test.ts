/**
 * The Admin tier in the Bypassed verdict: an Accept that reaches the pods a
 * profile isolates is a bypass, a Deny or Pass never is, the Baseline tier
 * never decides for them. The oracle for the Certain rows is netfence's own
 * exact evaluator (reachability.ts with the tiers): each witness pair is
 * checked to get through there although the profile alone denies it.
 */
import { describe, expect, it } from "@jest/globals";
import { parseProfile } from "../../../src/api/parse.js";
import type { NetworkPolicy } from "../../../src/k8s/objects.js";
import { bypassVerdict, formatBypass } from "../../../src/policy/bypass.js";
import { buildIndex, evaluate, resolveEndpoint, type Endpoint } from "../../../src/policy/reachability.js";
import { renderProfile } from "../../../src/policy/render.js";
import { parseTierPolicy, type TierPolicy } from "../../../src/policy/tiers-parse.js";

type Spec = Record<string, unknown>;
const DEV = { metadata: { name: "dev", labels: { "kubernetes.io/metadata.name": "dev", team: "a" } } };
const TEST = { metadata: { name: "test", labels: { "kubernetes.io/metadata.name": "test", team: "b" } } };

function desired(spec: Spec): NetworkPolicy {
  const parsed = parseProfile({ apiVersion: "netfence.io/v1alpha1", kind: "IsolationProfile", metadata: { name: "iso" }, spec: { namespaces: { names: ["dev"] }, ...spec } });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const [policy] = renderProfile(parsed.value, [DEV]);
  if (!policy) throw new Error("no policy for dev");
  return policy;
}

const cnp = (name: string, priority: number, spec: Spec, tier = "Admin"): Record<string, unknown> => ({
  apiVersion: "policy.networking.k8s.io/v1beta1",
  kind: "ClusterNetworkPolicy",
  metadata: { name },
  spec: { tier, priority, ...spec },
});
const anp = (name: string, priority: number, spec: Spec): Record<string, unknown> => ({ apiVersion: "policy.networking.k8s.io/v1alpha1", kind: "AdminNetworkPolicy", metadata: { name }, spec: { priority, ...spec } });
const devSubject = { subject: { namespaces: { matchLabels: { "kubernetes.io/metadata.name": "dev" } } } };
const fromTest = [{ namespaces: { matchLabels: { "kubernetes.io/metadata.name": "test" } } }];
const everyNs = [{ namespaces: {} }];

function read(objects: readonly Record<string, unknown>[]): TierPolicy[] {
  return objects.map((o) => {
    const p = parseTierPolicy(o);
    if (!p) throw new Error("not a tier object");
    return p;
  });
}

function verdict(profile: Spec, objects: readonly Record<string, unknown>[]) {
  return bypassVerdict({ profileName: "iso", namespace: "dev", namespaceLabels: DEV.metadata.labels, desired: desired(profile), policies: [], tierPolicies: read(objects) });
}

const lines = (profile: Spec, objects: readonly Record<string, unknown>[]): string[] => verdict(profile, objects).bypassedBy.map((e) => `${e.certainty} ${formatBypass(e)}`);

describe("the Admin tier in the Bypassed verdict", () => {
  it.each<[string, Spec, Record<string, unknown>[], string[]]>([
    ["an Admin Accept from another namespace into the isolated namespace is a Certain bypass", { preset: "deny-ingress" }, [cnp("open-dev", 10, { ...devSubject, ingress: [{ name: "from-test", action: "Accept", from: fromTest }] })], ["Certain ClusterNetworkPolicy/open-dev ingress[0]: any pod in namespaces kubernetes.io/metadata.name=test, any port"]],
    ["the v1alpha1 spelling (Allow) is the same bypass", { preset: "deny-ingress" }, [anp("open-dev", 10, { ...devSubject, ingress: [{ name: "from-test", action: "Allow", from: fromTest }] })], ["Certain AdminNetworkPolicy/open-dev ingress[0]: any pod in namespaces kubernetes.io/metadata.name=test, any port"]],
    ["an Admin Deny is never a bypass", { preset: "deny-ingress" }, [cnp("close-dev", 10, { ...devSubject, ingress: [{ action: "Deny", from: everyNs }] })], []],
    ["an Admin Pass hands the traffic to the NetworkPolicies: not a bypass", { preset: "deny-ingress" }, [cnp("pass-dev", 10, { ...devSubject, ingress: [{ action: "Pass", from: everyNs }] })], []],
    ["a Baseline Accept never decides for pods the profile's policy selects", { preset: "deny-all" }, [cnp("baseline-open", 10, { ...devSubject, ingress: [{ action: "Accept", from: everyNs }], egress: [{ action: "Accept", to: everyNs }] }, "Baseline")], []],
    ["an Accept for another namespace's pods is not read for dev", { preset: "deny-ingress" }, [cnp("open-test", 10, { subject: { namespaces: { matchLabels: { team: "b" } } }, ingress: [{ action: "Accept", from: everyNs }] })], []],
    ["a subject by the namespace's labels (team=a) selects dev", { preset: "deny-ingress" }, [cnp("open-team-a", 10, { subject: { namespaces: { matchLabels: { team: "a" } } }, ingress: [{ action: "Accept", from: fromTest }] })], ["Certain ClusterNetworkPolicy/open-team-a ingress[0]: any pod in namespaces kubernetes.io/metadata.name=test, any port"]],
    ["a pods subject whose pod selector meets the profile's is read", { preset: "deny-ingress", podSelector: { matchLabels: { app: "web" } } }, [cnp("open-web", 10, { subject: { pods: { namespaceSelector: {}, podSelector: { matchLabels: { tier: "front" } } } }, ingress: [{ action: "Accept", from: fromTest }] })], ["Certain ClusterNetworkPolicy/open-web ingress[0]: any pod in namespaces kubernetes.io/metadata.name=test, any port"]],
    ["a pods subject that cannot meet the profile's selector is not", { preset: "deny-ingress", podSelector: { matchLabels: { app: "web" } } }, [cnp("open-db", 10, { subject: { pods: { namespaceSelector: {}, podSelector: { matchLabels: { app: "db" } } } }, ingress: [{ action: "Accept", from: fromTest }] })], []],
    ["an Accept within what the profile allows is not a bypass", { preset: "allow-by-label", allowedPeers: [{ namespaceSelector: { matchLabels: { team: "b" } } }] }, [cnp("same-as-profile", 10, { ...devSubject, ingress: [{ action: "Accept", from: [{ namespaces: { matchLabels: { team: "b" } } }] }] })], []],
    ["an Accept on ports only: the port is named", { preset: "deny-ingress" }, [cnp("web-port", 10, { ...devSubject, ingress: [{ action: "Accept", from: fromTest, protocols: [{ tcp: { destinationPort: { number: 80 } } }] }] })], ["Certain ClusterNetworkPolicy/web-port ingress[0]: any pod in namespaces kubernetes.io/metadata.name=test, TCP 80"]],
    ["an Accept on a port range: the range is read to its last port", { preset: "deny-ingress" }, [cnp("web-range", 10, { ...devSubject, ingress: [{ action: "Accept", from: fromTest, protocols: [{ tcp: { destinationPort: { range: { start: 80, end: 90 } } } }] }] })], ["Certain ClusterNetworkPolicy/web-range ingress[0]: any pod in namespaces kubernetes.io/metadata.name=test, TCP 80-90"]],
    ["an Accept range one port past the profile's range is a bypass (the rule is named whole)", { preset: "allow-by-label", allowedPeers: [{ namespaceSelector: { matchLabels: { team: "b" } } }], ports: [{ port: 80, endPort: 89 }] }, [cnp("one-more", 10, { ...devSubject, ingress: [{ action: "Accept", from: fromTest, protocols: [{ tcp: { destinationPort: { range: { start: 80, end: 90 } } } }] }] })], ["Certain ClusterNetworkPolicy/one-more ingress[0]: any pod in namespaces kubernetes.io/metadata.name=test, TCP 80-90"]],
    ["an egress Accept to a network under deny-egress is a bypass", { preset: "deny-egress" }, [cnp("out", 10, { ...devSubject, egress: [{ action: "Accept", to: [{ networks: ["192.0.2.0/24"] }] }] })], ["Certain ClusterNetworkPolicy/out egress[0]: 192.0.2.0/24, any port"]],
    ["an egress Accept under an ingress-only preset is not read", { preset: "deny-ingress" }, [cnp("out", 10, { ...devSubject, egress: [{ action: "Accept", to: everyNs }] })], []],
    ["an Accept after an earlier Deny that may decide first is only Possible", { preset: "deny-ingress" }, [cnp("deny-first", 5, { ...devSubject, ingress: [{ name: "deny-test", action: "Deny", from: fromTest }] }), cnp("open-dev", 10, { ...devSubject, ingress: [{ action: "Accept", from: fromTest }] })], ['Possible ClusterNetworkPolicy/open-dev ingress[0]: any pod in namespaces kubernetes.io/metadata.name=test, any port (possible: ClusterNetworkPolicy/deny-first ingress[0] "deny-test" comes first in the Admin tier and may decide this traffic)']],
    ["an Admin policy that cannot be read is a Possible bypass naming the problem", { preset: "deny-ingress" }, [cnp("odd", 10, { ...devSubject, ingress: [{ action: "Accept", from: [{ namespaces: { matchExpressions: [{ key: "x", operator: "Near" }] } }] }] })], ["Possible ClusterNetworkPolicy/odd ingress[0]: what this Admin-tier rule admits cannot be read (possible: ClusterNetworkPolicy odd: spec.ingress[0].from[0].namespaces.matchExpressions[0].operator: \"Near\" is not one of In, NotIn, Exists, DoesNotExist)"]],
  ])("%s", (_name, profile, objects, expected) => {
    expect(lines(profile, objects)).toEqual(expected);
    expect(verdict(profile, objects).state).toBe(expected.length > 0 ? "Bypassed" : "Isolated");
  });

  it("a Certain Admin-tier bypass is real for the exact evaluator: test's pod reaches dev's, which the profile alone denies", () => {
    const objects = [cnp("open-dev", 10, { ...devSubject, ingress: [{ action: "Accept", from: fromTest }] })];
    expect(lines({ preset: "deny-ingress" }, objects)[0]).toMatch(/^Certain /);
    const pods = [
      { metadata: { name: "a", namespace: "dev", labels: {} }, status: { podIP: "10.3.0.1" } },
      { metadata: { name: "b", namespace: "test", labels: {} }, status: { podIP: "10.3.0.2" } },
    ];
    const traffic = { protocol: "TCP", port: 80 } as const;
    const allowed = (index: ReturnType<typeof buildIndex>): boolean => {
      const end = (text: string): Endpoint => {
        const r = resolveEndpoint(index, text);
        if (!r.ok) throw new Error(r.error);
        return r.value;
      };
      return evaluate(index, end("test/b"), end("dev/a"), traffic).allowed;
    };
    expect(allowed(buildIndex({ namespaces: [DEV, TEST], pods, policies: [desired({ preset: "deny-ingress" })] }))).toBe(false);
    expect(allowed(buildIndex({ namespaces: [DEV, TEST], pods, policies: [desired({ preset: "deny-ingress" })], tierPolicies: objects }))).toBe(true);
  });
});
