import { describe, expect, it } from "@jest/globals";
import { keepIdentityAndLabels, shareParts } from "../../../src/io/informer.js";
import { JsonInterner } from "../../../src/io/intern.js";
import type { NetworkPolicy } from "../../../src/k8s/objects.js";

const policy = (namespace: string, uid: string): NetworkPolicy => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name: "netfence-p", namespace, uid, labels: { "app.kubernetes.io/managed-by": "netfence" }, annotations: { "netfence.io/spec-hash": "abc" } },
  spec: { podSelector: {}, policyTypes: ["Ingress"] },
});

describe("informer transforms", () => {
  it("shareParts keeps one copy of equal specs, labels and annotations, and each object's own identity", () => {
    const share = shareParts<NetworkPolicy>(new JsonInterner(), ["spec", "labels", "annotations"]);
    const a = share(policy("a", "u1"));
    const b = share(policy("b", "u2"));
    expect(b.spec).toBe(a.spec);
    expect(b.metadata.labels).toBe(a.metadata.labels);
    expect(b.metadata.annotations).toBe(a.metadata.annotations);
    expect([a.metadata.namespace, a.metadata.uid, b.metadata.namespace, b.metadata.uid]).toEqual(["a", "u1", "b", "u2"]);
    expect(Object.isFrozen(a.spec)).toBe(true);
  });

  it("shareParts leaves a different spec apart", () => {
    const share = shareParts<NetworkPolicy>(new JsonInterner(), ["spec"]);
    const a = share(policy("a", "u1"));
    const edited = share({ ...policy("b", "u2"), spec: { podSelector: {}, policyTypes: ["Egress"] } });
    expect(edited.spec).not.toBe(a.spec);
    expect(edited.spec.policyTypes).toEqual(["Egress"]);
  });

  it("keepIdentityAndLabels keeps name, namespace, uid, resourceVersion, labels and deletionTimestamp only", () => {
    const pod = keepIdentityAndLabels({
      apiVersion: "meta.k8s.io/v1",
      kind: "PartialObjectMetadata",
      metadata: {
        name: "web-1",
        namespace: "dev",
        uid: "u",
        resourceVersion: "7",
        generation: 1,
        creationTimestamp: "2026-01-01T00:00:00Z",
        deletionTimestamp: "2026-01-02T00:00:00Z",
        labels: { app: "web" },
        annotations: { big: "x" },
        ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web", uid: "r" }],
        finalizers: ["f"],
      },
    });
    expect(pod).toEqual({ metadata: { name: "web-1", namespace: "dev", uid: "u", resourceVersion: "7", labels: { app: "web" }, deletionTimestamp: "2026-01-02T00:00:00Z" } });
  });
});
