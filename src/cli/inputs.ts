/**
 * What `netfence matrix`, `check` and `explain` share: their input flags, the
 * cluster they read (manifests with -f, else the live cluster, read-only) and
 * the probe's protocol and port.
 */
import { readClusterSnapshot } from "../io/cluster-snapshot.js";
import { loadKubeConfig } from "../io/kubeconfig.js";
import { classify, describe } from "../io/errors.js";
import { ManifestError, readManifests, type ManifestObject } from "../io/manifests.js";
import type { Namespace } from "../k8s/objects.js";
import { isPortName, PORT_NAME_MAX_LENGTH } from "../k8s/port-name.js";
import { isTrafficProtocol, type Traffic } from "../policy/ports.js";
import { toClusterInput, type ClusterInput, type LooseObject } from "../policy/reach-input.js";
import { LABEL_NAMESPACE_NAME } from "../api/constants.js";
import { buildIndex, resolveEndpoint, type Endpoint, type ReachabilityIndex } from "../policy/reachability.js";
import { renderProfiles } from "./render-manifests.js";
import { UsageError, type Options, type ValuesOf } from "./command.js";

export const INPUT_OPTIONS = {
  filename: {
    type: "string",
    short: "f",
    multiple: true,
    valueName: "file|dir",
    description:
      "manifests to read (Namespaces, Pods with status.podIP, NetworkPolicies, ClusterNetworkPolicies, AdminNetworkPolicies, BaselineAdminNetworkPolicies, IsolationProfiles); repeatable. Without -f, the live cluster is read",
  },
  kubeconfig: { type: "string", valueName: "path", description: "kubeconfig for the live cluster (default: KUBECONFIG, then ~/.kube/config)" },
  context: { type: "string", valueName: "name", description: "kubeconfig context to use" },
} satisfies Options;

export type InputValues = ValuesOf<typeof INPUT_OPTIONS>;

export const TRAFFIC_OPTIONS = {
  protocol: { type: "string", valueName: "TCP|UDP|SCTP|ICMP", description: "protocol of the probe", default: "TCP" },
  port: { type: "string", valueName: "number|name", description: "destination port, or a container port name resolved on each destination pod (not with ICMP)" },
} satisfies Options;

export type TrafficValues = ValuesOf<typeof TRAFFIC_OPTIONS>;

export interface LoadedInputs {
  index: ReachabilityIndex;
  /** "manifests" or the API server URL. */
  source: string;
  /** Policies rendered from IsolationProfiles given with -f. */
  renderedPolicies: number;
  /** Notes for stderr: skipped kinds, evaluator warnings. */
  notes: string[];
}

/** Namespaces as the API server would have them: every namespace a pod or profile mentions exists, named by its label. */
function withImplicitNamespaces(input: ClusterInput): Namespace[] {
  const named = new Map(input.cluster.namespaces.map((ns) => [ns.metadata.name, ns]));
  for (const pod of input.cluster.pods) {
    const name = pod.metadata.namespace ?? "default";
    if (!named.has(name)) named.set(name, { metadata: { name, labels: {} } });
  }
  return [...named.values()].map((ns) => ({ ...ns, metadata: { ...ns.metadata, labels: { ...ns.metadata.labels, [LABEL_NAMESPACE_NAME]: ns.metadata.name } } }));
}

/** The objects of the manifests at `paths` (files or directories); an unreadable or malformed one is a UsageError. */
export async function readManifestsOrFail(paths: readonly string[]): Promise<ManifestObject[]> {
  try {
    return await readManifests(paths);
  } catch (err) {
    if (err instanceof ManifestError) throw new UsageError(err.message);
    throw err;
  }
}

async function fromManifests(paths: readonly string[]): Promise<LoadedInputs> {
  return loadObjects(await readManifestsOrFail(paths), "manifests");
}

/** Objects as -f reads them (IsolationProfiles rendered, implicit namespaces added), evaluated; `netfence diff --live` gives the live objects plus files. */
export function loadObjects(objects: readonly LooseObject[], source: string): LoadedInputs {
  const input = toClusterInput(objects);
  if (input.errors.length > 0) throw new UsageError(`invalid input:\n  ${input.errors.join("\n  ")}`);
  const namespaces = withImplicitNamespaces(input);
  let renderedPolicies = 0;
  let policies = input.cluster.policies;
  if (input.profiles.length > 0) {
    const rendered = renderProfiles(input.profiles, namespaces);
    if (rendered.errors.length > 0) throw new UsageError(`invalid IsolationProfile:\n  ${rendered.errors.join("\n  ")}`);
    renderedPolicies = rendered.policies.length;
    policies = [...policies, ...rendered.policies];
  }
  const index = buildIndex({ namespaces, pods: input.cluster.pods, policies, tierPolicies: input.cluster.tierPolicies ?? [] });
  return { index, source, renderedPolicies, notes: notesFor(input, index) };
}

function notesFor(input: ClusterInput, index: ReachabilityIndex): string[] {
  const skipped = Object.entries(input.ignored).map(([kind, n]) => `${String(n)} ${kind}`);
  return [...(skipped.length > 0 ? [`skipped (not read by the evaluator): ${skipped.join(", ")}`] : []), ...index.warnings];
}

async function fromCluster(values: InputValues, namespaces: readonly string[]): Promise<LoadedInputs> {
  const { objects, server, notes } = await readLiveObjects(values, namespaces);
  const input = toClusterInput(objects);
  if (input.errors.length > 0) throw new UsageError(`unexpected objects in the cluster:\n  ${input.errors.join("\n  ")}`);
  const index = buildIndex(input.cluster);
  return { index, source: server, renderedPolicies: 0, notes: [...notes, ...index.warnings] };
}

/** The live cluster's objects the evaluator reads, and the API server URL; every problem is a UsageError. */
export async function readLiveObjects(values: InputValues, namespaces: readonly string[]): Promise<{ objects: LooseObject[]; server: string; notes: string[] }> {
  let kc;
  try {
    kc = loadKubeConfig({ ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}), ...(values.context ? { context: values.context } : {}) });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const server = kc.getCurrentCluster()?.server ?? "";
  let snapshot;
  try {
    snapshot = await readClusterSnapshot(kc, { namespaces });
  } catch (err) {
    const error = classify(err);
    // "Forbidden (403): …" when the server answered; the bare message when it did not.
    throw new UsageError(`reading the cluster at ${server}: ${error.code === undefined ? error.message : describe(error)}`);
  }
  // The cluster's NetworkPolicies are what is enforced: profiles there are already rendered by the operator.
  return { objects: [...snapshot.namespaces, ...snapshot.pods, ...snapshot.networkPolicies, ...snapshot.tierPolicies], server, notes: snapshot.notes };
}

/**
 * Reads the cluster: manifests when -f is given, else the live cluster (only
 * the given namespaces' pods and policies when `namespaces` is non-empty).
 * Every problem is a UsageError (exit 2) with a message naming the object.
 */
export async function loadInputs(values: InputValues, namespaces: readonly string[] = []): Promise<LoadedInputs> {
  const files = values.filename ?? [];
  if (files.length > 0) {
    if (values.kubeconfig !== undefined || values.context !== undefined) throw new UsageError("--kubeconfig and --context read the live cluster; they cannot be combined with -f");
    return fromManifests(files);
  }
  return fromCluster(values, namespaces);
}

/** "dev,test" → ["dev", "test"] */
export function splitList(text: string | undefined): string[] {
  return (text ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** --protocol and --port as a probe; defaults TCP and 80. */
export function parseTraffic(values: TrafficValues): Traffic {
  const protocol = (values.protocol ?? "TCP").toUpperCase();
  if (!isTrafficProtocol(protocol)) throw new UsageError(`unknown protocol '${values.protocol ?? ""}': expected TCP, UDP, SCTP or ICMP`);
  if (protocol === "ICMP") {
    if (values.port !== undefined) throw new UsageError("ICMP has no ports: drop --port or pick TCP, UDP or SCTP");
    return { protocol };
  }
  const text = values.port ?? "80";
  if (/^\d+$/.test(text)) {
    const port = Number(text);
    if (port < 1 || port > 65535) throw new UsageError(`--port ${text}: a port is 1 to 65535`);
    return { protocol, port };
  }
  if (!isPortName(text)) throw new UsageError(`--port '${text}': expected a number or a container port name (lowercase letters, digits, '-', up to ${String(PORT_NAME_MAX_LENGTH)})`);
  return { protocol, port: text };
}

export function endpointOf(index: ReachabilityIndex, text: string | undefined, flag: string): Endpoint {
  if (text === undefined || text === "") throw new UsageError(`${flag} is required (namespace/pod or an IP address)`);
  const parsed = resolveEndpoint(index, text);
  if (!parsed.ok) throw new UsageError(`${flag}: ${parsed.error}`);
  return parsed.value;
}

/** Prints notes (skipped kinds, warnings) to stderr, where they do not disturb -o json. */
export function printNotes(loaded: LoadedInputs): void {
  for (const note of loaded.notes) console.error(`note: ${note}`);
}
