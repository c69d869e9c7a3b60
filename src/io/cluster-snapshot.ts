/**
 * A read-only snapshot of what NetworkPolicy reachability depends on: every
 * Namespace, and the Pods, NetworkPolicies (all of them, not only netfence's)
 * and IsolationProfiles, listed page by page. Objects come back as plain JSON
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

/** Lists everything the evaluator needs; only reads. A missing IsolationProfile CRD (404) gives no profiles. */
export async function readClusterSnapshot(kc: KubeConfig, options: SnapshotOptions = {}): Promise<ClusterSnapshot> {
  const limit = options.limit ?? 500;
  const [namespaces, pods, networkPolicies, isolationProfiles] = await Promise.all([
    listAll(kc, "/api/v1/namespaces", "v1", "Namespace", limit),
    listEach(kc, "/api/v1", "pods", "v1", "Pod", options),
    listEach(kc, "/apis/networking.k8s.io/v1", "networkpolicies", "networking.k8s.io/v1", "NetworkPolicy", options),
    listAll(kc, "/apis/netfence.io/v1alpha1/isolationprofiles", "netfence.io/v1alpha1", "IsolationProfile", limit).catch((err: unknown) => {
      if (err instanceof ApiException && err.code === 404) return [];
      throw err;
    }),
  ]);
  return { namespaces, pods, networkPolicies, isolationProfiles };
}
