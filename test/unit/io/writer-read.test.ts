import { describe, expect, it } from "@jest/globals";
import { ApiException, KubeConfig } from "@kubernetes/client-node";
import { KeepAliveJson } from "../../../src/io/client.js";
import { KubePolicyWriter } from "../../../src/io/writer.js";
import type { NetworkPolicy } from "../../../src/k8s/objects.js";

/** A transport that answers every request with `answer` (or throws it). */
class Canned extends KeepAliveJson {
  constructor(private readonly answer: () => unknown) {
    super(new KubeConfig());
  }

  override request(): Promise<unknown> {
    return Promise.resolve().then(this.answer);
  }
}

const policy = { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "p", namespace: "dev", resourceVersion: "7" }, spec: { podSelector: {} } };
const notFound = () => {
  throw new ApiException(404, "not found", JSON.stringify({ kind: "Status", code: 404, reason: "NotFound", message: 'networkpolicies "p" not found' }), {});
};

describe("KubePolicyWriter reads", () => {
  it.each<[string, () => unknown, unknown]>([
    ["a policy as the server sent it", () => policy, { ok: true, value: policy }],
    ["nothing when the policy is not found", notFound, { ok: true, value: undefined }],
    ["a failure when the answer is not a NetworkPolicy", () => ({ kind: "Status" }), { ok: false, kind: "Unknown", retryable: false, namespaceGone: false, message: "GET /apis/networking.k8s.io/v1/namespaces/dev/networkpolicies/p: the response is not a NetworkPolicy" }],
  ])("one policy: %s", async (_name, answer, expected) => {
    await expect(new KubePolicyWriter(new Canned(answer)).read("dev", "p")).resolves.toEqual(expected);
  });

  it.each<[string, () => unknown, unknown]>([
    ["the items of the list", () => ({ kind: "NetworkPolicyList", items: [policy] }), { ok: true, value: [policy] }],
    ["no items as an empty list", () => ({ kind: "NetworkPolicyList" }), { ok: true, value: [] }],
    ["a failure when an item is not a NetworkPolicy", () => ({ items: [policy, { metadata: {} }] }), { ok: false, kind: "Unknown", retryable: false, namespaceGone: false, message: "GET /apis/networking.k8s.io/v1/networkpolicies: the response is not a list of NetworkPolicies" }],
  ])("a list: %s", async (_name, answer, expected) => {
    await expect(new KubePolicyWriter(new Canned(answer)).listNamed("netfence-p")).resolves.toEqual(expected);
  });
});

describe("KubePolicyWriter writes", () => {
  const written = { ...policy, metadata: { ...policy.metadata, resourceVersion: "8" } };
  const desired: NetworkPolicy = { metadata: { name: "p", namespace: "dev", resourceVersion: "7" }, spec: { podSelector: {} } };

  it.each<[string, (w: KubePolicyWriter) => Promise<unknown>]>([
    ["a create", (w) => w.create(desired)],
    ["a replace", (w) => w.replace(desired, desired)],
  ])("%s returns the resourceVersion the API server wrote (drift is decided from it, not from a copyable stamp)", async (_name, write) => {
    await expect(write(new KubePolicyWriter(new Canned(() => written)))).resolves.toEqual({ ok: true, resourceVersion: "8" });
  });
});
