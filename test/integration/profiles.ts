/** Creating and reading IsolationProfiles and their NetworkPolicies in tests. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import * as k8s from "@kubernetes/client-node";
import { GROUP, PLURAL, VERSION } from "../../src/api/constants.js";
import type { IsolationProfile, IsolationProfileSpec } from "../../src/api/types.js";
import { getJson } from "../../src/io/client.js";
import { readManifests } from "../../src/io/manifests.js";
import type { NetworkPolicy } from "../../src/k8s/objects.js";
import { policyName } from "../../src/policy/naming.js";
import { kubeconfigPath, statusCode } from "./helpers.js";

const BIN = fileURLToPath(new URL("../../bin/netfence.js", import.meta.url));
const run = promisify(execFile);

export class Profiles {
  private readonly custom: k8s.CustomObjectsApi;

  /** `label` ("key=value") is put on every profile: the operator under test selects it. */
  constructor(private readonly kc: k8s.KubeConfig, private readonly label: string) {
    this.custom = kc.makeApiClient(k8s.CustomObjectsApi);
  }

  private labels(): Record<string, string> {
    const [k, v] = this.label.split("=");
    return { [k ?? ""]: v ?? "" };
  }

  async create(name: string, spec: IsolationProfileSpec | Record<string, unknown>): Promise<IsolationProfile> {
    const body = { apiVersion: `${GROUP}/${VERSION}`, kind: "IsolationProfile", metadata: { name, labels: this.labels() }, spec };
    return (await this.custom.createClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, body })) as IsolationProfile;
  }

  /** A sample from deploy/samples, renamed and with its namespace names mapped. */
  async fromSample(file: string, name: string, rename: (ns: string) => string, overrides: Partial<IsolationProfileSpec> = {}): Promise<IsolationProfile> {
    const [sample] = await readManifests([file]);
    const spec = (sample as unknown as IsolationProfile).spec;
    return this.create(name, { ...spec, ...overrides, namespaces: { ...spec.namespaces, names: (spec.namespaces.names ?? []).map(rename) } });
  }

  async patchSpec(name: string, spec: Partial<IsolationProfileSpec>): Promise<void> {
    await this.custom.patchClusterCustomObject(
      { group: GROUP, version: VERSION, plural: PLURAL, name, body: { spec } },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
  }

  /** Merge-patches the profile's metadata (labels, annotations): an update event, no new generation. */
  async patchMeta(name: string, metadata: { labels?: Record<string, string | null>; annotations?: Record<string, string | null> }): Promise<void> {
    await this.custom.patchClusterCustomObject(
      { group: GROUP, version: VERSION, plural: PLURAL, name, body: { metadata } },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
  }

  /** How many profiles carry this instance's label. */
  async count(): Promise<number> {
    const list = (await this.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, labelSelector: this.label })) as { items: unknown[] };
    return list.items.length;
  }

  async get(name: string): Promise<IsolationProfile | undefined> {
    try {
      return (await this.custom.getClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, name })) as IsolationProfile;
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw err;
    }
  }

  async delete(name: string): Promise<void> {
    await this.custom.deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, name }).catch((err: unknown) => {
      if (statusCode(err) !== 404) throw err;
    });
  }

  /** The profile's policy in a namespace, or undefined. */
  async policy(profile: string, namespace: string): Promise<NetworkPolicy | undefined> {
    return this.readPolicy(namespace, policyName(profile));
  }

  async readPolicy(namespace: string, name: string): Promise<NetworkPolicy | undefined> {
    try {
      // The wire shape (`from`, not the typed model's `_from`), as kubectl shows it.
      return (await getJson(this.kc, `/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies/${name}`)) as NetworkPolicy;
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw err;
    }
  }

  /** Status once the operator has observed the current generation and Ready has the wanted value. */
  async settled(name: string, ready: "True" | "False" = "True"): Promise<IsolationProfile | undefined> {
    const p = await this.get(name);
    const cond = p?.status?.conditions?.find((c) => c.type === "Ready");
    return p && p.status?.observedGeneration === p.metadata.generation && cond?.status === ready ? p : undefined;
  }
}

/** `netfence matrix` on the live cluster, as JSON. */
export async function liveMatrix(namespaces: string[], protocol = "TCP"): Promise<{ from: string; to: string; allowed: boolean }[]> {
  const { stdout } = await run(process.execPath, [BIN, "matrix", `--kubeconfig=${kubeconfigPath()}`, "-n", namespaces.join(","), "--protocol", protocol, "-o", "json"]);
  return JSON.parse(stdout) as { from: string; to: string; allowed: boolean }[];
}
