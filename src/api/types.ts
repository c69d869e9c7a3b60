/**
 * The IsolationProfile contract (netfence.io/v1alpha1), as users write it and
 * as the controller reports on it. `ParsedProfile` is the same object after
 * parseProfile() has validated it and applied every default.
 */
import type {
  LabelSelector,
  NetworkPolicyEgressRule,
  NetworkPolicyPeer,
  NetworkPolicyPort,
  ObjectMeta,
} from "../k8s/objects.js";
import type { API_VERSION, DELETION_POLICIES, ENFORCEMENTS, KIND, MODES, NAMESPACE_STATES, PRESETS } from "./constants.js";

export type Preset = (typeof PRESETS)[number];
export type Mode = (typeof MODES)[number];
export type DeletionPolicy = (typeof DELETION_POLICIES)[number];
export type Enforcement = (typeof ENFORCEMENTS)[number];

/** Which namespaces a profile isolates: (names/globs ∪ selector) − exclude, system namespaces only when asked. */
export interface NamespaceSelection {
  /** Exact names or globs (`*` any run of characters, `?` one character). */
  names?: string[];
  /** Namespace labels; `{}` selects every namespace. */
  selector?: LabelSelector;
  /** Names or globs removed from the selection. */
  exclude?: string[];
  /** kube-system, kube-public, kube-node-lease and netfence's own namespace are skipped unless true. */
  includeSystem?: boolean;
}

export interface IsolationProfileSpec {
  preset: Preset;
  namespaces: NamespaceSelection;
  /** Pods isolated in each selected namespace; default `{}` (all). */
  podSelector?: LabelSelector;
  /** Who may still reach the isolated pods (allow-by-label needs at least one). */
  allowedPeers?: NetworkPolicyPeer[];
  /** Restricts the allowed ingress to these ports. */
  ports?: NetworkPolicyPort[];
  /** Raw egress allowances, only when the preset isolates egress. */
  egress?: NetworkPolicyEgressRule[];
  /** When egress is isolated: allow UDP+TCP 53 to cluster DNS. Default true. */
  allowDNS?: boolean;
  /** Default Enforce. */
  mode?: Mode;
  /** Default Delete. */
  deletionPolicy?: DeletionPolicy;
  /** Default Auto. */
  enforcement?: Enforcement;
  /** The Admin-tier priority (0–1000, lower first); default 100. */
  priority?: number;
}

export type NamespaceState = (typeof NAMESPACE_STATES)[number];

export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface NamespaceStatus {
  name: string;
  state: NamespaceState;
  policy: string;
  message?: string;
  /** DryRun: what Enforce would do. */
  action?: "create" | "update" | "delete" | "none";
  /** Bypassed: each widening policy rule and what it lets through ("dev/allow-all ingress[0]: any pod in any namespace, any port"). */
  bypassedBy?: string[];
  /**
   * What the profile's Admin-tier object makes tenant-proof here: InCluster (every
   * direction the profile isolates, for traffic within the cluster), Partial (some;
   * status.enforcement.notes say what is passed to the NetworkPolicies). Absent: nothing.
   */
  tenantProof?: "InCluster" | "Partial";
}

/** status.enforcement: what enforces the profile, and on what evidence. */
export interface EnforcementStatus {
  requested: Enforcement;
  /** AdminTier: an Admin-tier object plus the NetworkPolicies for ingress from outside the cluster. */
  mode: "AdminTier" | "NetworkPolicy";
  /** The Admin-tier kind and apiVersion chosen (mode AdminTier). */
  kind?: string;
  apiVersion?: string;
  /** The Admin-tier object in place as rendered. */
  object?: string;
  reason: string;
  message: string;
  dataPlane: { name: string; enforces: string[]; evidence: "declared" | "detected" | "unverified"; source: string };
  /** What the Admin tier passes to the NetworkPolicies, or what waits for netfence (bounded). */
  notes?: string[];
}

export interface IsolationProfileStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  selectedNamespaces?: number;
  isolatedNamespaces?: number;
  /** Selected namespaces where another NetworkPolicy admits more than the profile. */
  bypassedNamespaces?: number;
  isolatedPods?: number;
  /** Bounded (maxItems 100), problems first. */
  namespaces?: NamespaceStatus[];
  /** How many namespaces did not fit in `namespaces`. */
  namespacesOmitted?: number;
  enforcement?: EnforcementStatus;
}

export interface IsolationProfile {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: ObjectMeta;
  spec: IsolationProfileSpec;
  status?: IsolationProfileStatus;
}

/** The namespace selection with its defaults applied (`selector` stays optional: absent selects nothing). */
export interface ParsedNamespaceSelection {
  names: string[];
  selector?: LabelSelector;
  exclude: string[];
  includeSystem: boolean;
}

export interface ParsedSpec {
  preset: Preset;
  namespaces: ParsedNamespaceSelection;
  podSelector: LabelSelector;
  allowedPeers: NetworkPolicyPeer[];
  ports: NetworkPolicyPort[];
  egress: NetworkPolicyEgressRule[];
  allowDNS: boolean;
  mode: Mode;
  deletionPolicy: DeletionPolicy;
  enforcement: Enforcement;
  priority: number;
}

export interface ParsedProfile {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: ObjectMeta;
  spec: ParsedSpec;
  status?: IsolationProfileStatus;
}

/** One validation problem: `spec.allowedPeers[1].ipBlock.except[0]` + `10.9.0.0/24 is not inside 10.3.0.0/16`. */
export interface Issue {
  path: string;
  message: string;
}
