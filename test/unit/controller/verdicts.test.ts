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

function setUp() {
  const parsed = parseProfile({ apiVersion: "netfence.io/v1alpha1", kind: "IsolationProfile", metadata: { name: "p", uid: "uid-p" }, spec: { preset: "deny-ingress", namespaces: { names: ["dev"] } } });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const [desired] = renderProfile(parsed.value, [namespace({})]);
  if (!desired) throw new Error("nothing rendered");
  const tenant: NetworkPolicy = { metadata: { name: "allow-all", namespace: "dev" }, spec: { podSelector: {}, ingress: [{}] } };
  return { desired, tenant, policies: [desired, tenant] };
}

describe("VerdictMemo", () => {
  it("the same inputs are a lookup where no Admin tier is served (no tiers given)", () => {
    const memo = new VerdictMemo();
    const { desired, tenant, policies } = setUp();
    const dev = namespace({});
    expect(memo.verdict(ref, desired, policies, dev).state).toBe("Bypassed");
    tenant.spec = { podSelector: {}, policyTypes: ["Ingress"] };
    expect(memo.verdict(ref, desired, policies, dev).state).toBe("Bypassed");
  });

  it("new namespace labels are judged again", () => {
    const memo = new VerdictMemo();
    const { desired, tenant, policies } = setUp();
    expect(memo.verdict(ref, desired, policies, namespace({})).state).toBe("Bypassed");
    tenant.spec = { podSelector: {}, policyTypes: ["Ingress"] };
    expect(memo.verdict(ref, desired, policies, namespace({ team: "a" })).state).toBe("Isolated");
  });

  it("another profile under the same name (another uid) is judged on its own", () => {
    const memo = new VerdictMemo();
    const { desired, tenant, policies } = setUp();
    const dev = namespace({});
    expect(memo.verdict(ref, desired, policies, dev).state).toBe("Bypassed");
    tenant.spec = { podSelector: {}, policyTypes: ["Ingress"] };
    expect(memo.verdict({ name: "p", uid: "uid-p2" }, desired, policies, dev).state).toBe("Isolated");
  });
});
