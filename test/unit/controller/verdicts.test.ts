/**
 * VerdictMemo: a namespace's verdict is computed again only when an input
 * changes — the profile's desired policy, the namespace's labels, its
 * NetworkPolicies (by identity: the informer replaces an object that changed)
 * or the Admin-tier policies. An input changed in place (which the informer
 * never does) is how a test sees whether the memo looked or judged again.
 */
import { describe, expect, it } from "@jest/globals";
import { parseProfile } from "../../../src/api/parse.js";
import { VerdictMemo } from "../../../src/controller/verdicts.js";
import type { Namespace, NetworkPolicy } from "../../../src/k8s/objects.js";
import { renderProfile } from "../../../src/policy/render.js";

const ref = { name: "p", uid: "uid-p" };
const namespace = (labels: Record<string, string>): Namespace => ({ metadata: { name: "dev", uid: "uid-dev", labels: { "kubernetes.io/metadata.name": "dev", ...labels } } });

/** A memo, the profile's policy and a tenant allow-all in dev; `closeInPlace` turns the tenant's policy into a deny without a new object. */
function setUp() {
  const parsed = parseProfile({ apiVersion: "netfence.io/v1alpha1", kind: "IsolationProfile", metadata: { name: "p", uid: "uid-p" }, spec: { preset: "deny-ingress", namespaces: { names: ["dev"] } } });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const [desired] = renderProfile(parsed.value, [namespace({})]);
  if (!desired) throw new Error("nothing rendered");
  const tenant: NetworkPolicy = { metadata: { name: "allow-all", namespace: "dev" }, spec: { podSelector: {}, ingress: [{}] } };
  const memo = new VerdictMemo();
  const policies = [desired, tenant];
  return {
    verdict: (dev: Namespace, profile = ref) => memo.verdict(profile, desired, policies, dev).state,
    closeInPlace: () => (tenant.spec = { podSelector: {}, policyTypes: ["Ingress"] }),
  };
}

describe("VerdictMemo", () => {
  it("the same inputs are a lookup where no Admin tier is served (no tiers given)", () => {
    const { verdict, closeInPlace } = setUp();
    const dev = namespace({});
    expect(verdict(dev)).toBe("Bypassed");
    closeInPlace();
    expect(verdict(dev)).toBe("Bypassed");
  });

  it("new namespace labels are judged again", () => {
    const { verdict, closeInPlace } = setUp();
    expect(verdict(namespace({}))).toBe("Bypassed");
    closeInPlace();
    expect(verdict(namespace({ team: "a" }))).toBe("Isolated");
  });

  it("another profile under the same name (another uid) is judged on its own", () => {
    const { verdict, closeInPlace } = setUp();
    const dev = namespace({});
    expect(verdict(dev)).toBe("Bypassed");
    closeInPlace();
    expect(verdict(dev, { name: "p", uid: "uid-p2" })).toBe("Isolated");
  });
});
