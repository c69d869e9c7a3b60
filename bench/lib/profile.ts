/** IsolationProfiles for the benchmark: create, patch, delete, and the moment one is Ready at its generation. */
import type { KubeConfig } from "@kubernetes/client-node";
import { API_VERSION, KIND, PLURAL, GROUP, VERSION } from "../../src/api/constants.js";
import { parseProfile } from "../../src/api/parse.js";
import type { IsolationProfile, IsolationProfileSpec } from "../../src/api/types.js";
import type { Namespace, NetworkPolicy } from "../../src/k8s/objects.js";
import { renderProfile } from "../../src/policy/render.js";
import { call, callIdempotent, MERGE_PATCH } from "./kube.js";
import { OPERATOR_NAMESPACE } from "./env.js";
import { TimedWatch } from "./watch.js";

export const PROFILES_PATH = `/apis/${GROUP}/${VERSION}/${PLURAL}`;

export function profileObject(name: string, spec: IsolationProfileSpec | Record<string, unknown>): IsolationProfile {
  return { apiVersion: API_VERSION, kind: KIND, metadata: { name }, spec } as IsolationProfile;
}

export async function createProfile(kc: KubeConfig, name: string, spec: IsolationProfileSpec | Record<string, unknown>): Promise<IsolationProfile> {
  return (await call(kc, "POST", PROFILES_PATH, profileObject(name, spec))) as IsolationProfile;
}

export async function patchProfileSpec(kc: KubeConfig, name: string, spec: Record<string, unknown>): Promise<IsolationProfile> {
  return (await call(kc, "PATCH", `${PROFILES_PATH}/${name}`, { spec }, MERGE_PATCH)) as IsolationProfile;
}

export async function deleteProfile(kc: KubeConfig, name: string): Promise<void> {
  await callIdempotent(kc, "DELETE", `${PROFILES_PATH}/${name}`);
}

/** Ready=True for the current generation (what `kubectl wait --for=condition=Ready` plus observedGeneration means). */
export function isReadyAt(p: IsolationProfile, generation?: number): boolean {
  const g = generation ?? p.metadata.generation;
  const ready = p.status?.conditions?.find((c) => c.type === "Ready");
  return p.status?.observedGeneration === g && p.metadata.generation === g && ready?.status === "True" && ready.observedGeneration === g;
}

/** Watches profiles; remembers when each first became Ready at each generation. */
export class ProfileWatch {
  readonly watch: TimedWatch<IsolationProfile>;
  private readonly readyAt = new Map<string, number>();

  constructor(kc: KubeConfig) {
    this.watch = new TimedWatch<IsolationProfile>(kc, PROFILES_PATH);
    this.watch.on((type, _key, p, at) => {
      const g = p.metadata.generation ?? 0;
      const k = `${p.metadata.name}@${String(g)}`;
      if (type !== "DELETED" && isReadyAt(p) && !this.readyAt.has(k)) this.readyAt.set(k, at);
    });
  }

  async start(): Promise<this> {
    await this.watch.start();
    return this;
  }

  /** When `name` was first seen Ready at `generation`. */
  ready(name: string, generation: number): number | undefined {
    return this.readyAt.get(`${name}@${String(generation)}`);
  }

  gone(name: string): boolean {
    return this.watch.seen.get(`/${name}`)?.deleted !== undefined;
  }

  current(name: string): IsolationProfile | undefined {
    return this.watch.seen.get(`/${name}`)?.object;
  }

  stop(): void {
    this.watch.stop();
  }
}

/** The NetworkPolicies the operator would write for `spec` in these namespaces (no owner: rendered offline). */
export function renderBodies(name: string, spec: IsolationProfileSpec | Record<string, unknown>, namespaces: readonly Namespace[]): NetworkPolicy[] {
  const parsed = parseProfile(profileObject(name, spec));
  if (!parsed.ok) throw new Error(`bench profile ${name} is invalid: ${JSON.stringify(parsed.issues)}`);
  return renderProfile(parsed.value, namespaces, { operatorNamespace: OPERATOR_NAMESPACE });
}
