/**
 * The IsolationProfile CustomResourceDefinition, built from the same limits,
 * patterns and rules as the zod schema. crds/isolationprofiles.netfence.io.yaml
 * is this object printed (a unit test keeps them equal; `UPDATE_CRD=1` rewrites it).
 */
import {
  CRD_NAME,
  DELETION_POLICIES,
  ENFORCEMENTS,
  GROUP,
  KIND,
  LIMITS,
  MODES,
  NAMESPACE_STATES,
  PLURAL,
  PRESETS,
  PRIORITY,
  SHORT_NAME,
  SINGULAR,
  VERSION,
} from "./constants.js";
import { PROTOCOLS, SELECTOR_OPERATORS } from "../k8s/objects.js";
import { PATTERNS, RULES, type Rule } from "./rules.js";

export type JSONSchemaProps = Record<string, unknown>;

function validations(rules: readonly Rule[]): JSONSchemaProps {
  return { "x-kubernetes-validations": rules.map((r) => ({ ...r })) };
}

function str(description: string, maxLength: number, extra: JSONSchemaProps = {}): JSONSchemaProps {
  return { type: "string", description, maxLength, ...extra };
}

function list(description: string, maxItems: number, items: JSONSchemaProps): JSONSchemaProps {
  return { type: "array", description, maxItems, items };
}

function labelSelector(description: string): JSONSchemaProps {
  return {
    type: "object",
    description,
    "x-kubernetes-map-type": "atomic",
    properties: {
      matchLabels: {
        type: "object",
        description: "Label key/value pairs that must all be present.",
        maxProperties: LIMITS.matchLabels,
        additionalProperties: str("A label value.", LIMITS.labelValue, { pattern: PATTERNS.labelValue }),
        ...validations(RULES.matchLabels),
      },
      matchExpressions: list("Requirements that must all hold.", LIMITS.matchExpressions, {
        type: "object",
        required: ["key", "operator"],
        properties: {
          key: str("The label key.", LIMITS.labelKey, { pattern: PATTERNS.labelKey }),
          operator: { type: "string", description: "In, NotIn, Exists or DoesNotExist.", enum: [...SELECTOR_OPERATORS] },
          values: list(
            "Values for In and NotIn; empty for Exists and DoesNotExist.",
            LIMITS.selectorValues,
            str("A label value.", LIMITS.labelValue, { pattern: PATTERNS.labelValue }),
          ),
        },
        ...validations(RULES.requirement),
      }),
    },
  };
}

function cidr(description: string): JSONSchemaProps {
  return str(description, LIMITS.cidr, validations(RULES.cidr));
}

const peer: JSONSchemaProps = {
  type: "object",
  description: "A NetworkPolicyPeer: an ipBlock alone, or a podSelector and/or namespaceSelector.",
  properties: {
    podSelector: labelSelector("Pods (in the policy's namespace, or in the namespaces namespaceSelector picks)."),
    namespaceSelector: labelSelector("Namespaces by label; `{}` is every namespace."),
    ipBlock: {
      type: "object",
      description: "A CIDR range, minus exceptions that lie inside it.",
      required: ["cidr"],
      properties: {
        cidr: cidr("The range, e.g. 10.3.0.0/16."),
        except: list("Ranges inside cidr that are not allowed.", LIMITS.except, cidr("A range inside cidr.")),
      },
      ...validations(RULES.ipBlock),
    },
  },
  ...validations(RULES.peer),
};

const port: JSONSchemaProps = {
  type: "object",
  description: "A NetworkPolicyPort.",
  properties: {
    protocol: { type: "string", description: "TCP (default), UDP or SCTP.", enum: [...PROTOCOLS] },
    port: {
      description: "A port number (1-65535) or a named container port.",
      "x-kubernetes-int-or-string": true,
      maxLength: LIMITS.portName,
      ...validations(RULES.port),
    },
    endPort: { type: "integer", format: "int32", description: "With a numeric port: the last port of a range.", minimum: 1, maximum: 65535 },
  },
  ...validations(RULES.networkPolicyPort),
};

const namespacePattern = str("A namespace name, or a glob with * and ?.", LIMITS.namespacePattern, { pattern: PATTERNS.namespacePattern });

const spec: JSONSchemaProps = {
  type: "object",
  description: "What to isolate and what to still allow.",
  required: ["preset", "namespaces"],
  properties: {
    preset: { type: "string", description: "The isolation: deny-ingress, deny-egress, deny-all, allow-same-namespace or allow-by-label.", enum: [...PRESETS] },
    namespaces: {
      type: "object",
      description: "Which namespaces: the union of names and selector, minus exclude.",
      properties: {
        names: list("Namespace names or globs (* and ?).", LIMITS.names, namespacePattern),
        selector: labelSelector("Namespaces by label; `{}` selects every namespace."),
        exclude: list("Names or globs removed from the selection.", LIMITS.exclude, namespacePattern),
        includeSystem: { type: "boolean", description: "Also select kube-system, kube-public, kube-node-lease and netfence's namespace.", default: false },
      },
      ...validations(RULES.namespaces),
    },
    podSelector: labelSelector("The pods isolated in each selected namespace; `{}` (the default) is all of them."),
    allowedPeers: list("Who may still reach the isolated pods.", LIMITS.peers, peer),
    ports: list("Restricts the allowed ingress to these ports.", LIMITS.ports, port),
    egress: list("Egress allowances (NetworkPolicyEgressRule) when the preset isolates egress.", LIMITS.egressRules, {
      type: "object",
      description: "A NetworkPolicyEgressRule.",
      properties: {
        to: list("Destinations; none means anywhere.", LIMITS.peers, peer),
        ports: list("Destination ports; none means every port.", LIMITS.ports, port),
      },
    }),
    allowDNS: { type: "boolean", description: "When egress is isolated, allow UDP and TCP 53 to cluster DNS.", default: true },
    mode: { type: "string", description: "Enforce applies the policies; DryRun only reports what it would do.", enum: [...MODES], default: "Enforce" },
    deletionPolicy: { type: "string", description: "What happens to the policies when the profile is deleted.", enum: [...DELETION_POLICIES], default: "Delete" },
    enforcement: {
      type: "string",
      description:
        "Auto: the Admin tier where it is enforced, else NetworkPolicies. AdminTier: one cluster-scoped Admin-tier policy (evaluated before every NetworkPolicy, so tenants cannot widen it) plus the NetworkPolicies for what that tier cannot express. NetworkPolicy: NetworkPolicies only.",
      enum: [...ENFORCEMENTS],
      default: "Auto",
    },
    priority: {
      type: "integer",
      format: "int32",
      description: `The Admin-tier priority, ${String(PRIORITY.min)}-${String(PRIORITY.max)}, lower first; the default ${String(PRIORITY.default)} leaves 0-${String(PRIORITY.default - 1)} to policies that must decide before any profile.`,
      minimum: PRIORITY.min,
      maximum: PRIORITY.max,
      default: PRIORITY.default,
    },
  },
  ...validations(RULES.spec),
};

const condition: JSONSchemaProps = {
  type: "object",
  description: "A metav1.Condition.",
  required: ["type", "status", "reason", "message", "lastTransitionTime"],
  properties: {
    type: str("Ready, Degraded, Isolated or Enforced.", 316, {
      pattern: "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",
    }),
    status: { type: "string", enum: ["True", "False", "Unknown"] },
    observedGeneration: { type: "integer", format: "int64", minimum: 0 },
    lastTransitionTime: { type: "string", format: "date-time" },
    reason: str("CamelCase reason.", 1024, { minLength: 1, pattern: "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$" }),
    message: str("Human-readable detail.", 32768),
  },
};

const status: JSONSchemaProps = {
  type: "object",
  description: "What the controller observed and did.",
  properties: {
    observedGeneration: { type: "integer", format: "int64" },
    conditions: {
      ...list("Ready, Degraded, Isolated and Enforced.", LIMITS.conditions, condition),
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["type"],
    },
    selectedNamespaces: { type: "integer", format: "int32", description: "Namespaces the profile selects." },
    isolatedNamespaces: { type: "integer", format: "int32", description: "Selected namespaces whose policy is in place and not bypassed." },
    bypassedNamespaces: { type: "integer", format: "int32", description: "Selected namespaces where another NetworkPolicy admits more than the profile." },
    isolatedPods: { type: "integer", format: "int32", description: "Pods the policies select." },
    namespaces: {
      ...list("Per-namespace state, problems first.", LIMITS.statusNamespaces, {
        type: "object",
        required: ["name", "state", "policy"],
        properties: {
          name: str("The namespace.", 63),
          state: {
            type: "string",
            description:
              "Isolated: the profile's policy is in place as rendered and nothing else admits more. Bypassed: in place, but another NetworkPolicy admits more (bypassedBy names it). Contested: in place, but another client keeps changing it; restored with capped backoff. Pending, Failed: a write is being retried. Conflict: a policy netfence does not own has the generated name. DryRun: nothing written.",
            enum: [...NAMESPACE_STATES],
          },
          policy: str("The NetworkPolicy name.", 253),
          message: str("Why, when not Isolated.", LIMITS.message),
          action: { type: "string", description: "DryRun: what Enforce would do.", enum: ["create", "update", "delete", "none"] },
          bypassedBy: list("Bypassed: each widening policy rule and what it lets through beyond the profile.", LIMITS.bypassedBy, str("policy, rule and what it admits", LIMITS.message)),
          tenantProof: {
            type: "string",
            description: "What the profile's Admin-tier object makes tenant-proof here: InCluster (every direction the profile isolates, for traffic within the cluster) or Partial (some; status.enforcement.notes say what is passed to NetworkPolicies). Absent: nothing (NetworkPolicy enforcement, or the Admin tier not verified).",
            enum: ["InCluster", "Partial"],
          },
        },
      }),
      // Atomic: netfence is its only writer, so per-entry field ownership buys nothing, and the API server's
      // managed-fields work for a map list slows every status write (docs/benchmarks.md).
      "x-kubernetes-list-type": "atomic",
    },
    namespacesOmitted: { type: "integer", format: "int32", description: "Namespaces left out of status.namespaces." },
    enforcement: {
      type: "object",
      description: "What enforces the profile, why, and on what evidence a data plane enforces it (the Enforced condition says the same in one line).",
      required: ["requested", "mode", "reason", "message", "dataPlane"],
      properties: {
        requested: { type: "string", description: "spec.enforcement as asked.", enum: [...ENFORCEMENTS] },
        mode: { type: "string", description: "AdminTier: one cluster-scoped Admin-tier object plus the NetworkPolicies for ingress from outside the cluster. NetworkPolicy: NetworkPolicies only.", enum: ["AdminTier", "NetworkPolicy"] },
        kind: str("The Admin-tier kind written (ClusterNetworkPolicy or AdminNetworkPolicy).", 63),
        apiVersion: str("Its apiVersion.", 253),
        object: str("The Admin-tier object in place as rendered.", 253),
        reason: str("CamelCase: why this mode.", 128),
        message: str("Why, in words.", LIMITS.message),
        dataPlane: {
          type: "object",
          description: "The data plane netfence believes enforces the profile.",
          required: ["name", "enforces", "evidence", "source"],
          properties: {
            name: str("Its name.", 253),
            enforces: list("The policy kinds it enforces.", 3, { type: "string", enum: ["NetworkPolicy", "ClusterNetworkPolicy", "AdminNetworkPolicy"] }),
            evidence: { type: "string", description: "declared (the chart's dataPlane values), detected (Calico's ClusterInformation), or unverified.", enum: ["declared", "detected", "unverified"] },
            source: str("Where the belief comes from.", LIMITS.message),
          },
        },
        notes: list("What the Admin tier passes to the NetworkPolicies (not tenant-proof), or what waits for netfence.", LIMITS.enforcementNotes, str("a note naming the field", LIMITS.message)),
      },
    },
  },
};

export function isolationProfileCrd(): JSONSchemaProps {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: CRD_NAME, labels: { "app.kubernetes.io/name": "netfence" } },
    spec: {
      group: GROUP,
      scope: "Cluster",
      names: { kind: KIND, listKind: `${KIND}List`, plural: PLURAL, singular: SINGULAR, shortNames: [SHORT_NAME] },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: "Preset", type: "string", jsonPath: ".spec.preset" },
            { name: "Mode", type: "string", jsonPath: ".spec.mode" },
            { name: "Selected", type: "integer", jsonPath: ".status.selectedNamespaces" },
            { name: "Isolated", type: "integer", jsonPath: ".status.isolatedNamespaces" },
            { name: "Bypassed", type: "integer", jsonPath: ".status.bypassedNamespaces" },
            { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
            { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
          ],
          schema: {
            openAPIV3Schema: {
              type: "object",
              description: "Isolates the namespaces it selects with one generated NetworkPolicy each.",
              required: ["spec"],
              properties: {
                apiVersion: { type: "string" },
                kind: { type: "string" },
                metadata: { type: "object" },
                spec,
                status,
              },
            },
          },
        },
      ],
    },
  };
}
