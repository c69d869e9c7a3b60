/**
 * Turns loose Kubernetes objects (from manifests or a live cluster) into the
 * evaluator's ClusterState, validating what the evaluator reads the way the API
 * server would, with messages that name the object and the field.
 */
import { z } from "zod";
import { parseIpBlock } from "../k8s/cidr.js";
import { isRecord } from "../lib/is-record.js";
import { PROTOCOLS, type Namespace, type NetworkPolicy, type Pod } from "../k8s/objects.js";
import { isPortName, PORT_NAME_MAX_LENGTH } from "../k8s/port-name.js";
import { labelSelectorSchema, networkPolicyPortSchema } from "../k8s/schemas.js";
import type { ClusterState } from "./reachability.js";
import { isTierObject } from "./tiers-parse.js";

const labels = z.record(z.string(), z.string());

const selector = labelSelectorSchema({
  strict: false,
  matchLabels: labels,
  key: z.string().min(1),
  value: z.string(),
  valuesRequired: (operator) => `must be non-empty for operator ${operator}`,
  valuesForbidden: (operator) => `must be empty for operator ${operator}`,
});

const meta = z.object({ name: z.string().min(1), namespace: z.string().min(1).optional(), labels: labels.optional() });

const namespaceSchema = z.object({ metadata: z.object({ name: z.string().min(1), labels: labels.optional() }) });

const podSchema = z.object({
  metadata: meta,
  spec: z
    .object({
      containers: z
        .array(
          z.object({
            name: z.string(),
            ports: z.array(z.object({ name: z.string().optional(), containerPort: z.number().int().min(1).max(65535), protocol: z.enum(PROTOCOLS).optional() })).optional(),
          }),
        )
        .optional(),
    })
    .optional(),
  status: z.object({ podIP: z.string().optional(), podIPs: z.array(z.object({ ip: z.string() })).optional() }).optional(),
});

const NAMED_PORT = `a named port is 1-${String(PORT_NAME_MAX_LENGTH)} lowercase letters, digits and '-', with at least one letter`;

const port = networkPolicyPortSchema({
  strict: false,
  port: z.union([z.number().int().min(1).max(65535), z.string().refine(isPortName, NAMED_PORT)]),
  endPortNeedsNumber: "needs a numeric port",
  endPortBelowPort: (port) => `must be at least port (${port})`,
});

const peer = z
  .object({
    podSelector: selector.optional(),
    namespaceSelector: selector.optional(),
    ipBlock: z.object({ cidr: z.string(), except: z.array(z.string()).optional() }).optional(),
  })
  .superRefine((p, ctx) => {
    if (p.ipBlock === undefined) {
      if (p.podSelector === undefined && p.namespaceSelector === undefined) ctx.addIssue({ code: "custom", message: "must specify podSelector, namespaceSelector or ipBlock" });
      return;
    }
    if (p.podSelector !== undefined || p.namespaceSelector !== undefined) ctx.addIssue({ code: "custom", message: "ipBlock cannot be combined with podSelector or namespaceSelector" });
    const block = parseIpBlock(p.ipBlock);
    if (!block.ok) ctx.addIssue({ code: "custom", path: ["ipBlock"], message: block.error });
  });

const policySchema = z.object({
  metadata: meta,
  spec: z.object({
    podSelector: selector,
    policyTypes: z.array(z.enum(["Ingress", "Egress"])).optional(),
    ingress: z.array(z.object({ from: z.array(peer).optional(), ports: z.array(port).optional() })).optional(),
    egress: z.array(z.object({ to: z.array(peer).optional(), ports: z.array(port).optional() })).optional(),
  }),
});

/** An object as read from a manifest or the API: kind, apiVersion and a source to name in messages. */
export interface LooseObject {
  kind?: unknown;
  apiVersion?: unknown;
  metadata?: unknown;
  readonly __source?: string;
  [k: string]: unknown;
}

export interface ClusterInput {
  cluster: ClusterState;
  /** IsolationProfile objects, unvalidated (the renderer validates them). */
  profiles: LooseObject[];
  /** Kinds the evaluator does not read, with how many were skipped. */
  ignored: Record<string, number>;
  errors: string[];
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) out += typeof part === "number" ? `[${part}]` : `${out === "" ? "" : "."}${String(part)}`;
  return out;
}

function describe(obj: LooseObject): string {
  const m = isRecord(obj.metadata) ? obj.metadata : {};
  const name = typeof m.name === "string" ? m.name : "<no name>";
  const ns = typeof m.namespace === "string" ? `${m.namespace}/` : "";
  return `${obj.__source ? `${obj.__source}: ` : ""}${String(obj.kind)} ${ns}${name}`;
}

function check<T>(schema: z.ZodType<T>, obj: LooseObject, errors: string[]): T | undefined {
  const result = schema.safeParse(obj);
  if (result.success) return result.data;
  for (const issue of result.error.issues.slice(0, 5)) {
    const where = formatPath(issue.path);
    errors.push(`${describe(obj)}: ${where === "" ? "" : `${where}: `}${issue.message}`);
  }
  return undefined;
}

/** A Namespace as the evaluator and the renderer read it (name and labels); problems go to `errors`, naming the object and the field. */
export function readNamespace(obj: LooseObject, errors: string[]): Namespace | undefined {
  return check(namespaceSchema, obj, errors);
}

/**
 * Sorts objects by kind into Namespaces, Pods, NetworkPolicies, tier policies
 * (ClusterNetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy) and
 * IsolationProfiles; anything else is counted and skipped. Objects without a
 * namespace land in "default", as kubectl apply would put them.
 */
export function toClusterInput(objects: readonly LooseObject[]): ClusterInput {
  const namespaces: Namespace[] = [];
  const pods: Pod[] = [];
  const policies: NetworkPolicy[] = [];
  const profiles: LooseObject[] = [];
  // Tier policies are read tolerantly by the evaluator (tiers-parse.ts): problems become warnings, not errors.
  const tierPolicies: LooseObject[] = [];
  const ignored: Record<string, number> = {};
  const errors: string[] = [];
  for (const obj of objects) {
    const apiVersion = typeof obj.apiVersion === "string" ? obj.apiVersion : "";
    const kind = typeof obj.kind === "string" ? obj.kind : "";
    if (kind === "Namespace" && apiVersion === "v1") {
      const ns = readNamespace(obj, errors);
      if (ns) namespaces.push(ns);
    } else if (kind === "Pod" && apiVersion === "v1") {
      const pod = check(podSchema, obj, errors);
      if (pod) pods.push({ ...pod, metadata: { ...pod.metadata, namespace: pod.metadata.namespace ?? "default" } });
    } else if (kind === "NetworkPolicy" && apiVersion === "networking.k8s.io/v1") {
      const policy = check(policySchema, obj, errors);
      if (policy) policies.push({ ...policy, metadata: { ...policy.metadata, namespace: policy.metadata.namespace ?? "default" } });
    } else if (isTierObject(kind, apiVersion)) {
      tierPolicies.push(obj);
    } else if (kind === "IsolationProfile" && apiVersion.startsWith("netfence.io/")) {
      profiles.push(obj);
    } else {
      const label = `${apiVersion === "" ? "" : `${apiVersion} `}${kind === "" ? "<no kind>" : kind}`;
      ignored[label] = (ignored[label] ?? 0) + 1;
    }
  }
  return { cluster: { namespaces, pods, policies, tierPolicies }, profiles, ignored, errors };
}
