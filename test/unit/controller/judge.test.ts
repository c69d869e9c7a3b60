import { describe, expect, it } from "@jest/globals";
import { proofWord } from "../../../src/controller/judge.js";
import type { NetworkPolicy } from "../../../src/k8s/objects.js";

const desired = (...policyTypes: ("Ingress" | "Egress")[]): NetworkPolicy => ({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "p", namespace: "dev" }, spec: { podSelector: {}, policyTypes } });

describe("the tenantProof word: InCluster when every direction the profile isolates is tenant-proof", () => {
  it.each<[string, { ingress: boolean; egress: boolean } | undefined, ("Ingress" | "Egress")[], string | undefined]>([
    ["no Admin-tier object", undefined, ["Ingress", "Egress"], undefined],
    ["nothing tenant-proof", { ingress: false, egress: false }, ["Ingress"], undefined],
    ["deny-ingress, ingress tenant-proof (egress is not isolated)", { ingress: true, egress: false }, ["Ingress"], "InCluster"],
    ["deny-egress, egress tenant-proof", { ingress: false, egress: true }, ["Egress"], "InCluster"],
    ["deny-all, both", { ingress: true, egress: true }, ["Ingress", "Egress"], "InCluster"],
    ["deny-all, ingress only (egress passes a surplus)", { ingress: true, egress: false }, ["Ingress", "Egress"], "Partial"],
    ["deny-all, egress only", { ingress: false, egress: true }, ["Ingress", "Egress"], "Partial"],
  ])("%s", (_name, proof, types, word) => {
    expect(proofWord(proof, desired(...types))).toBe(word);
  });
});
