/**
 * IsolationProfile → NetworkPolicies: one per selected namespace, with the
 * same canonical spec in each. Pure: the namespaces come in as arguments.
 */
import {
  ANNOTATION_SPEC_HASH,
  API_VERSION,
  DEFAULT_DNS_NAMESPACE,
  DEFAULT_DNS_POD_LABELS,
  KIND,
  LABEL_MANAGED_BY,
  LABEL_NAMESPACE_NAME,
  LABEL_PROFILE,
  MANAGED_BY_VALUE,
} from "../api/constants.js";
import type { ParsedProfile, ParsedSpec, Preset } from "../api/types.js";
import { canonicalSpec } from "./canonical.js";
import { specHash } from "./hash.js";
import { deepFreeze } from "../lib/freeze.js";
import type {
  LabelSelector,
  Namespace,
  NetworkPolicy,
  NetworkPolicyEgressRule,
  NetworkPolicyIngressRule,
  NetworkPolicyPeer,
  NetworkPolicySpec,
  PolicyType,
} from "../k8s/objects.js";
import { policyName, profileLabelValue } from "./naming.js";
import { selectNamespaces } from "./namespaces.js";

export interface RenderOptions {
  /** netfence's own namespace, never selected unless includeSystem. */
  operatorNamespace?: string;
  /** Where allowDNS lets isolated pods resolve names; default kube-system, k8s-app=kube-dns. */
  dns?: { namespace: string; podSelector: LabelSelector };
}

interface PresetMeaning {
  isolates: PolicyType[];
  /** Extra ingress peers the preset itself admits. */
  admits: NetworkPolicyPeer[];
}

const SAME_NAMESPACE: NetworkPolicyPeer = { podSelector: {} };

export const PRESET_MEANING: Readonly<Record<Preset, PresetMeaning>> = {
  "deny-ingress": { isolates: ["Ingress"], admits: [] },
  "deny-egress": { isolates: ["Egress"], admits: [] },
  "deny-all": { isolates: ["Ingress", "Egress"], admits: [] },
  "allow-same-namespace": { isolates: ["Ingress"], admits: [SAME_NAMESPACE] },
  "allow-by-label": { isolates: ["Ingress"], admits: [] },
};

/** UDP and TCP 53 to the cluster DNS pods, the namespace matched by its kubernetes.io/metadata.name label. */
export function dnsEgressRule(dns: RenderOptions["dns"]): NetworkPolicyEgressRule {
  const namespace = dns?.namespace ?? DEFAULT_DNS_NAMESPACE;
  const podSelector = dns?.podSelector ?? { matchLabels: { ...DEFAULT_DNS_POD_LABELS } };
  return {
    to: [{ namespaceSelector: { matchLabels: { [LABEL_NAMESPACE_NAME]: namespace } }, podSelector }],
    ports: [
      { protocol: "UDP", port: 53 },
      { protocol: "TCP", port: 53 },
    ],
  };
}

function ingressRules(spec: ParsedSpec): NetworkPolicyIngressRule[] {
  const from = [...PRESET_MEANING[spec.preset].admits, ...spec.allowedPeers];
  if (from.length === 0 && spec.ports.length === 0) return [];
  const rule: NetworkPolicyIngressRule = {};
  if (from.length > 0) rule.from = from;
  if (spec.ports.length > 0) rule.ports = spec.ports;
  return [rule];
}

function egressRules(spec: ParsedSpec, opts: RenderOptions): NetworkPolicyEgressRule[] {
  return spec.allowDNS ? [...spec.egress, dnsEgressRule(opts.dns)] : [...spec.egress];
}

/** The NetworkPolicy spec a profile puts in every namespace it selects (canonical). */
export function renderSpec(spec: ParsedSpec, opts: RenderOptions = {}): NetworkPolicySpec {
  const isolates = PRESET_MEANING[spec.preset].isolates;
  const out: NetworkPolicySpec = { podSelector: spec.podSelector, policyTypes: isolates };
  if (isolates.includes("Ingress")) out.ingress = ingressRules(spec);
  if (isolates.includes("Egress")) out.egress = egressRules(spec, opts);
  return canonicalSpec(out);
}

/**
 * One NetworkPolicy per namespace the profile selects, in namespace order.
 * The spec, labels, annotations and owner references do not depend on the
 * namespace, so every policy shares one frozen copy of them: no spec clone
 * and no hash per namespace (docs/benchmarks.md has the figures).
 */
export function renderProfile(profile: ParsedProfile, namespaces: readonly Namespace[], opts: RenderOptions = {}): NetworkPolicy[] {
  const { name, uid } = profile.metadata;
  const spec = renderSpec(profile.spec, opts);
  const shared = deepFreeze({
    spec,
    labels: { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE, [LABEL_PROFILE]: profileLabelValue(name) },
    annotations: { [ANNOTATION_SPEC_HASH]: specHash(spec) },
    // Rendered from a file (netfence render) a profile has no uid yet, so it cannot be an owner.
    ownerReferences: uid ? [{ apiVersion: API_VERSION, kind: KIND, name, uid, controller: true, blockOwnerDeletion: false }] : undefined,
  });
  const generated = policyName(name);
  const selectOpts = opts.operatorNamespace === undefined ? {} : { operatorNamespace: opts.operatorNamespace };
  return selectNamespaces(profile.spec, namespaces, selectOpts).map((ns): NetworkPolicy => {
    const { labels, annotations, ownerReferences } = shared;
    const metadata: NetworkPolicy["metadata"] = ownerReferences
      ? { name: generated, namespace: ns.metadata.name, labels, annotations, ownerReferences }
      : { name: generated, namespace: ns.metadata.name, labels, annotations };
    return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata, spec: shared.spec };
  });
}
