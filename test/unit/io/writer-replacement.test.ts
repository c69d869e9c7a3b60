import { describe, expect, it } from "@jest/globals";
import type { NetworkPolicy } from "../../../src/k8s/objects.js";
import { replacement } from "../../../src/io/writer.js";

const OWNER = { apiVersion: "netfence.io/v1alpha1", kind: "IsolationProfile", name: "p", uid: "u1", controller: true, blockOwnerDeletion: true };
const LABELS = { "app.kubernetes.io/managed-by": "netfence", "netfence.io/profile": "p" };
const STAMP = { "netfence.io/spec-hash": "h2" };

/** What netfence renders: deny ingress to every pod, its labels, stamp and owner. */
const desired: NetworkPolicy = {
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name: "netfence-p", namespace: "dev", labels: LABELS, annotations: STAMP, ownerReferences: [OWNER] },
  spec: { podSelector: {}, policyTypes: ["Ingress"] },
};

const live = (metadata: Partial<NetworkPolicy["metadata"]>, spec: NetworkPolicy["spec"]): NetworkPolicy => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name: "netfence-p", namespace: "dev", resourceVersion: "42", ...metadata },
  spec,
});

/** The body a PUT sends is the whole object: a field it leaves out is gone from the live spec. */
describe("replacement(): the PUT body that converges a live policy", () => {
  it.each<[string, NetworkPolicy, NetworkPolicy["metadata"]]>([
    [
      "a widening hand edit (an allow-all rule, an Egress type) is replaced by the rendered spec",
      live({ labels: LABELS, annotations: { "netfence.io/spec-hash": "h1" }, ownerReferences: [OWNER] }, { podSelector: { matchLabels: { app: "web" } }, policyTypes: ["Ingress", "Egress"], ingress: [{}], egress: [{}] }),
      { name: "netfence-p", namespace: "dev", resourceVersion: "42", labels: LABELS, annotations: STAMP, ownerReferences: [OWNER] },
    ],
    [
      "removed managed-by and profile labels are set again; another tool's label and annotation stay",
      live({ labels: { team: "a" }, annotations: { "example.com/note": "keep" }, ownerReferences: [OWNER] }, { podSelector: {}, policyTypes: ["Ingress"] }),
      { name: "netfence-p", namespace: "dev", resourceVersion: "42", labels: { team: "a", ...LABELS }, annotations: { "example.com/note": "keep", ...STAMP }, ownerReferences: [OWNER] },
    ],
    [
      "another owner and a finalizer stay; netfence's own reference is not doubled",
      live({ labels: LABELS, ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "c", uid: "u9" }, OWNER], finalizers: ["example.com/hold"] }, { podSelector: {} }),
      { name: "netfence-p", namespace: "dev", resourceVersion: "42", labels: LABELS, annotations: STAMP, ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "c", uid: "u9" }, OWNER], finalizers: ["example.com/hold"] },
    ],
  ])("%s", (_name, current, metadata) => {
    const body = replacement(desired, current);
    expect(body).toEqual({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata, spec: desired.spec });
    // Nothing of the live spec survives: the directions and rules netfence does not render are absent, not merged.
    expect(Object.keys(body.spec).sort()).toEqual(["podSelector", "policyTypes"]);
  });
});
