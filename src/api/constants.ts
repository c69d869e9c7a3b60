/**
 * Names shared by the CRD, the controller, the CLI and the tests. Changing one
 * of these changes the wire contract with existing clusters.
 */

import { PORT_NAME_MAX_LENGTH } from "../k8s/port-name.js";

export const GROUP = "netfence.io";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}` as const;
export const KIND = "IsolationProfile";
export const PLURAL = "isolationprofiles";
export const SINGULAR = "isolationprofile";
export const SHORT_NAME = "isop";
export const CRD_NAME = `${PLURAL}.${GROUP}` as const;

export const LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
export const MANAGED_BY_VALUE = "netfence";
export const LABEL_PROFILE = "netfence.io/profile";
export const ANNOTATION_SPEC_HASH = "netfence.io/spec-hash";
export const FINALIZER = "netfence.io/cleanup";
export const FIELD_MANAGER = "netfence";

/** Never selected unless `spec.namespaces.includeSystem` is true (nor is netfence's own namespace). */
export const SYSTEM_NAMESPACES: readonly string[] = ["kube-system", "kube-public", "kube-node-lease"];
export const DEFAULT_OPERATOR_NAMESPACE = "netfence-system";

/** Cluster DNS as `allowDNS` reaches it: namespace (by kubernetes.io/metadata.name) and pods. */
export const LABEL_NAMESPACE_NAME = "kubernetes.io/metadata.name";
export const DEFAULT_DNS_NAMESPACE = "kube-system";
export const DEFAULT_DNS_POD_LABELS: Readonly<Record<string, string>> = { "k8s-app": "kube-dns" };

export const PRESETS = ["deny-ingress", "deny-egress", "deny-all", "allow-same-namespace", "allow-by-label"] as const;
export const MODES = ["Enforce", "DryRun"] as const;
export const DELETION_POLICIES = ["Delete", "Orphan"] as const;
/**
 * How a profile is enforced. Auto: the Admin tier where an implementation
 * enforces it, else NetworkPolicy. AdminTier: the Admin tier (a cluster-scoped
 * object evaluated before every NetworkPolicy) plus the NetworkPolicies for what
 * that tier cannot express. NetworkPolicy: NetworkPolicies only.
 */
export const ENFORCEMENTS = ["Auto", "AdminTier", "NetworkPolicy"] as const;
/**
 * The Admin-tier priority range (upstream: lower goes first). The default,
 * 100, leaves 0–99 to cluster administrators' own Admin-tier policies that
 * must decide before any profile (an emergency allow or deny), and 101–1000
 * to policies meant to come after the profiles.
 */
export const PRIORITY = { min: 0, max: 1000, default: 100 } as const;
/**
 * Per-namespace states, in the order status lists them (problems first). The
 * CRD's enum is generated from this list.
 * - Isolated: the profile's policy is in place, exactly as rendered.
 * - Contested: in place, but another client keeps changing it; netfence restores it with capped backoff.
 * - Bypassed: in place, but another NetworkPolicy in the namespace admits more than the profile (status names it).
 * - Pending: a write is being retried; Failed: a write failed and is retried with backoff.
 * - Conflict: a policy netfence does not own has the generated name. DryRun: nothing written.
 */
export const NAMESPACE_STATES = ["Failed", "Conflict", "Contested", "Bypassed", "Pending", "DryRun", "Isolated"] as const;


/**
 * Bounds on every list and string of the spec. The CRD and the zod schema use
 * the same numbers; they are also what keeps the CEL rules within the API
 * server's cost budget.
 */
export const LIMITS = {
  names: 100,
  exclude: 100,
  namespacePattern: 63,
  peers: 32,
  ports: 32,
  egressRules: 16,
  except: 16,
  cidr: 43,
  matchLabels: 16,
  matchExpressions: 16,
  selectorValues: 32,
  labelKey: 317,
  labelValue: 63,
  portName: PORT_NAME_MAX_LENGTH,
  /** status.namespaces holds at most this many entries (the CRD's maxItems; `--status-namespaces` picks up to it). */
  statusNamespaces: 100,
  conditions: 8,
  message: 1024,
  /** status.namespaces[].bypassedBy: the first widening rules of a bypassed namespace. */
  bypassedBy: 8,
  /**
   * Each bypassedBy item as netfence writes it (the CRD allows `message`):
   * 100 namespaces × 8 items stay near 400 KiB, well inside an object's 1.5 MiB.
   */
  bypassedText: 512,
  /** status.enforcement.notes: what the Admin tier leaves to the NetworkPolicies, one line per field. */
  enforcementNotes: 10,
} as const;
