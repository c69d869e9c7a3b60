/**
 * A read-only snapshot of what NetworkPolicy reachability depends on: every
 * Namespace, and the Pods, NetworkPolicies (all of them, not only netfence's)
 * IsolationProfiles and the cluster-scoped tier policies (ClusterNetworkPolicy,
 * AdminNetworkPolicy, BaselineAdminNetworkPolicy, wherever API discovery says
 * they are served), listed page by page. Objects come back as plain JSON
 * (the wire form), each with its kind and apiVersion set.
 */
import { ApiException, type KubeConfig } from "@kubernetes/client-node";
import { isRecord } from "../lib/is-record.js";
import { getJson } from "./client.js";

export interface SnapshotObject {
  apiVersion: string;
  kind: string;
  metadata?: unknown;
  [k: string]: unknown;
}

export interface ClusterSnapshot {
  namespaces: SnapshotObject[];
  pods: SnapshotObject[];
  networkPolicies: SnapshotObject[];
  /** Empty when the IsolationProfile CRD is not installed. */
  isolationProfiles: SnapshotObject[];
  /** ClusterNetworkPolicies (v1beta1, else v1alpha2), AdminNetworkPolicies and BaselineAdminNetworkPolicies (v1alpha1) the API serves. */
  tierPolicies: SnapshotObject[];
  /** What could not be read and is left out (a tier kind this user may not list), one line each. */
  notes: string[];
}

export interface SnapshotOptions {
  /** Only pods and policies of these namespaces (every namespace is still listed, for its labels). */
  namespaces?: readonly string[];
  /** Page size; default 500. */
  limit?: number;
}

interface ListPage {
  items?: unknown[];
  metadata?: { continue?: string };
}

async function listAll(kc: KubeConfig, path: string, apiVersion: string, kind: string, limit: number): Promise<SnapshotObject[]> {
  const out: SnapshotObject[] = [];
  let token: string | undefined;
  do {
    const page = (await getJson(kc, path, { query: { limit, continue: token } })) as ListPage;
    for (const item of page.items ?? []) {
      if (isRecord(item)) out.push({ ...item, apiVersion, kind });
    }
    token = page.metadata?.continue || undefined;
  } while (token);
  return out;
}

async function listEach(kc: KubeConfig, group: string, plural: string, apiVersion: string, kind: string, options: SnapshotOptions): Promise<SnapshotObject[]> {
  const limit = options.limit ?? 500;
  if (!options.namespaces || options.namespaces.length === 0) return listAll(kc, `${group}/${plural}`, apiVersion, kind, limit);
  const lists = await Promise.all(options.namespaces.map((ns) => listAll(kc, `${group}/namespaces/${encodeURIComponent(ns)}/${plural}`, apiVersion, kind, limit)));
  return lists.flat();
}

const TIER_GROUP = "policy.networking.k8s.io";
/** Each kind at the versions netfence reads, most preferred first (v1beta1 and v1alpha2 are one stored object). */
const TIER_RESOURCES: [plural: string, kind: string, versions: string[]][] = [
  ["clusternetworkpolicies", "ClusterNetworkPolicy", ["v1beta1", "v1alpha2"]],
  ["adminnetworkpolicies", "AdminNetworkPolicy", ["v1alpha1"]],
  ["baselineadminnetworkpolicies", "BaselineAdminNetworkPolicy", ["v1alpha1"]],
];

const notFound = (err: unknown): boolean => err instanceof ApiException && err.code === 404;

/** The group's versions and the resources each serves, by API discovery; empty when the group is not served. */
async function servedTierResources(kc: KubeConfig): Promise<Map<string, Set<string>>> {
  const served = new Map<string, Set<string>>();
  let group: unknown;
  try {
    group = await getJson(kc, `/apis/${TIER_GROUP}`);
  } catch (err) {
    if (notFound(err)) return served;
    throw err;
  }
  const versions = isRecord(group) && Array.isArray(group.versions) ? group.versions : [];
  const names = versions.flatMap((v) => (isRecord(v) && typeof v.version === "string" ? [v.version] : []));
  await Promise.all(
    names.map(async (version) => {
      const list = await getJson(kc, `/apis/${TIER_GROUP}/${version}`).catch((err: unknown) => {
        if (notFound(err)) return undefined;
        throw err;
      });
      const resources = isRecord(list) && Array.isArray(list.resources) ? list.resources : [];
      served.set(version, new Set(resources.flatMap((r) => (isRecord(r) && typeof r.name === "string" ? [r.name] : []))));
    }),
  );
  return served;
}

/** A tier kind the API serves, at its most preferred served version. */
export interface ServedTierKind {
  kind: string;
  apiVersion: string;
  /** the collection: "/apis/policy.networking.k8s.io/v1beta1/clusternetworkpolicies" */
  path: string;
}

/** Each tier kind the API serves (discovery decides), at its most preferred served version. */
export async function servedTierKinds(kc: KubeConfig): Promise<ServedTierKind[]> {
  const served = await servedTierResources(kc);
  return TIER_RESOURCES.flatMap(([plural, kind, versions]) => {
    const version = versions.find((v) => served.get(v)?.has(plural));
    return version === undefined ? [] : [{ kind, apiVersion: `${TIER_GROUP}/${version}`, path: `/apis/${TIER_GROUP}/${version}/${plural}` }];
  });
}

const forbidden = (err: unknown): boolean => err instanceof ApiException && err.code === 403;

/**
 * Every tier policy the API serves, each kind once, at its most preferred
 * served version. A kind this user may not list is left out with a note (the
 * evaluator then reads less than the cluster enforces, and says so).
 */
async function listTierPolicies(kc: KubeConfig, limit: number, notes: string[]): Promise<SnapshotObject[]> {
  const lists = await Promise.all(
    (await servedTierKinds(kc)).map((t) =>
      listAll(kc, t.path, t.apiVersion, t.kind, limit).catch((err: unknown) => {
        if (!forbidden(err)) throw err;
        notes.push(`cannot list ${t.kind} (${t.apiVersion}): 403 Forbidden; the results leave that tier kind out`);
        return [];
      }),
    ),
  );
  return lists.flat();
}

/** Lists everything the evaluator needs; only reads. A missing IsolationProfile CRD (404) gives no profiles. */
export async function readClusterSnapshot(kc: KubeConfig, options: SnapshotOptions = {}): Promise<ClusterSnapshot> {
  const limit = options.limit ?? 500;
  const notes: string[] = [];
  const [namespaces, pods, networkPolicies, isolationProfiles, tierPolicies] = await Promise.all([
    listAll(kc, "/api/v1/namespaces", "v1", "Namespace", limit),
    listEach(kc, "/api/v1", "pods", "v1", "Pod", options),
    listEach(kc, "/apis/networking.k8s.io/v1", "networkpolicies", "networking.k8s.io/v1", "NetworkPolicy", options),
    listAll(kc, "/apis/netfence.io/v1alpha1/isolationprofiles", "netfence.io/v1alpha1", "IsolationProfile", limit).catch((err: unknown) => {
      if (notFound(err)) return [];
      throw err;
    }),
    listTierPolicies(kc, limit, notes),
  ]);
  return { namespaces, pods, networkPolicies, isolationProfiles, tierPolicies, notes };
}
