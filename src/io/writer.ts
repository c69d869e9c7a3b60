/**
 * The controller's writes, on @kubernetes/client-node: NetworkPolicies
 * (create, replace, dry run, delete, detach), profile status and
 * finalizers, and Events. Every call returns a WriteResult and never throws,
 * so one failing namespace never stops a pass.
 */
import type { Logger } from "pino";
import { API_VERSION, ANNOTATION_SPEC_HASH, FIELD_MANAGER, GROUP, KIND, LABEL_MANAGED_BY, LABEL_PROFILE, PLURAL, VERSION } from "../api/constants.js";
import type { IsolationProfile, IsolationProfileStatus } from "../api/types.js";
import type { AdminTierLive, AdminTierWriter, EventRecorder, PolicyWriter, ProfileWriter, ReadResult, WriteFailure, WriteResult } from "../controller/ports.js";
import type { NetworkPolicy, ObjectMeta } from "../k8s/objects.js";
import type { AdminKind, AdminTierObject } from "../policy/admin-render.js";
import type { KeepAliveJson } from "./client.js";
import { classify } from "./errors.js";
import { isRecord } from "../lib/is-record.js";
import type { TokenBucket } from "../lib/ratelimit.js";

const SSA = "application/apply-patch+yaml";
const MERGE = "application/merge-patch+json";
const OK: WriteResult = { ok: true };

/** Maps any error to a WriteFailure; a namespace that is gone or terminating is flagged. */
export function failure(err: unknown): WriteFailure {
  const e = classify(err);
  const text = e.message.toLowerCase();
  const namespaceGone = (e.kind === "Forbidden" && text.includes("being terminated")) || (e.kind === "NotFound" && text.includes("namespaces"));
  return { ok: false, kind: e.kind, retryable: e.retryable, namespaceGone, message: e.message };
}

async function attempt(limiter: TokenBucket | undefined, call: () => Promise<unknown>): Promise<WriteResult> {
  try {
    const wait = limiter?.reserve() ?? 0;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const written = await call();
    const resourceVersion = isRecord(written) && isRecord(written.metadata) ? written.metadata.resourceVersion : undefined;
    return typeof resourceVersion === "string" ? { ok: true, resourceVersion } : OK;
  } catch (err) {
    return failure(err);
  }
}

/**
 * The wire body of a generated policy (apiVersion/kind set, no server fields).
 * Plain JSON: never pass it where client-node serializes through its typed
 * models, which would drop an ingress rule's `from` (the model calls it `_from`).
 */
function body(policy: NetworkPolicy): NetworkPolicy {
  const { name, namespace, labels, annotations, ownerReferences } = policy.metadata;
  return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, namespace, labels, annotations, ownerReferences }, spec: policy.spec };
}

/**
 * The metadata of a PUT replacing `live`: netfence's labels and annotations
 * set over the live ones, its owner reference added, every other owner
 * reference and finalizer kept; `resourceVersion` as the precondition.
 */
function replacedMetadata(desired: ObjectMeta, live: ObjectMeta): ObjectMeta {
  const { name, namespace, labels, annotations, ownerReferences = [] } = desired;
  const refs = [...(live.ownerReferences ?? []).filter((ref) => !ownerReferences.some((own) => own.uid === ref.uid)), ...ownerReferences];
  return {
    name,
    ...(namespace === undefined ? {} : { namespace }),
    resourceVersion: live.resourceVersion,
    labels: { ...live.labels, ...labels },
    annotations: { ...live.annotations, ...annotations },
    ...(refs.length ? { ownerReferences: refs } : {}),
    ...(live.finalizers?.length ? { finalizers: live.finalizers } : {}),
  };
}

/** The PUT body replacing `current`: the desired spec over the live metadata (replacedMetadata). */
export function replacement(policy: NetworkPolicy, current: NetworkPolicy): NetworkPolicy {
  return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: replacedMetadata(policy.metadata, current.metadata), spec: policy.spec };
}

/** The merge patch that takes netfence's labels, annotation and owner reference off an object (deletionPolicy Orphan). */
function detachPatch(live: ObjectMeta, profileUid: string): object {
  return {
    metadata: {
      resourceVersion: live.resourceVersion,
      labels: { [LABEL_MANAGED_BY]: null, [LABEL_PROFILE]: null },
      annotations: { [ANNOTATION_SPEC_HASH]: null },
      ownerReferences: (live.ownerReferences ?? []).filter((o) => o.uid !== profileUid),
    },
  };
}

/** A NetworkPolicy as the API server sends it: named metadata and a spec with its pod selector. */
function isNetworkPolicy(value: unknown): value is NetworkPolicy {
  return isRecord(value) && isRecord(value.metadata) && typeof value.metadata.name === "string" && isRecord(value.spec) && isRecord(value.spec.podSelector);
}

function isNetworkPolicyList(value: unknown): value is NetworkPolicy[] {
  return Array.isArray(value) && value.every(isNetworkPolicy);
}

const NP = (namespace: string) => `/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies`;

export class KubePolicyWriter implements PolicyWriter {
  constructor(private readonly http: KeepAliveJson, private readonly limiter?: TokenBucket) {}

  create(policy: NetworkPolicy): Promise<WriteResult> {
    const namespace = policy.metadata.namespace ?? "";
    return attempt(this.limiter, () => this.http.request("POST", NP(namespace), { body: body(policy), query: { fieldManager: FIELD_MANAGER } }));
  }

  replace(policy: NetworkPolicy, current: NetworkPolicy): Promise<WriteResult> {
    const { name, namespace = "" } = policy.metadata;
    return attempt(this.limiter, () => this.http.request("PUT", `${NP(namespace)}/${name}`, { body: replacement(policy, current), query: { fieldManager: FIELD_MANAGER } }));
  }

  dryRun(policy: NetworkPolicy): Promise<WriteResult> {
    const { name, namespace = "" } = policy.metadata;
    return attempt(this.limiter, () =>
      this.http.request("PATCH", `${NP(namespace)}/${name}`, { body: body(policy), contentType: SSA, query: { fieldManager: FIELD_MANAGER, force: true, dryRun: "All" } }),
    );
  }

  remove(policy: NetworkPolicy): Promise<WriteResult> {
    const { name, namespace = "", uid } = policy.metadata;
    const options = uid ? { body: { preconditions: { uid } } } : {};
    return attempt(this.limiter, () =>
      this.http.request("DELETE", `${NP(namespace)}/${name}`, options).catch((err: unknown) => {
        if (classify(err).kind === "NotFound") return undefined;
        throw err;
      }),
    );
  }

  detach(policy: NetworkPolicy, profileUid: string): Promise<WriteResult> {
    const { name, namespace = "" } = policy.metadata;
    return attempt(this.limiter, () => this.http.request("PATCH", `${NP(namespace)}/${name}`, { body: detachPatch(policy.metadata, profileUid), contentType: MERGE }));
  }

  async read(namespace: string, name: string): Promise<ReadResult<NetworkPolicy | undefined>> {
    const path = `${NP(namespace)}/${name}`;
    try {
      // Plain JSON (the wire shape), like the informer cache holds.
      const value = await this.http.request("GET", path);
      return isNetworkPolicy(value) ? { ok: true, value } : failure(new Error(`GET ${path}: the response is not a NetworkPolicy`));
    } catch (err) {
      return classify(err).kind === "NotFound" ? { ok: true, value: undefined } : failure(err);
    }
  }

  async listNamed(name: string): Promise<ReadResult<NetworkPolicy[]>> {
    const path = "/apis/networking.k8s.io/v1/networkpolicies";
    try {
      const list = await this.http.request("GET", path, { query: { fieldSelector: `metadata.name=${name}` } });
      const items = isRecord(list) ? (list.items ?? []) : undefined;
      return isNetworkPolicyList(items) ? { ok: true, value: items } : failure(new Error(`GET ${path}: the response is not a list of NetworkPolicies`));
    } catch (err) {
      return failure(err);
    }
  }
}

/** "AdminNetworkPolicy/v1alpha1" → its collection. */
function adminPath(kind: AdminKind): string {
  const [name, version] = kind.split("/") as [string, string];
  return `/apis/policy.networking.k8s.io/${version}/${name === "ClusterNetworkPolicy" ? "clusternetworkpolicies" : "adminnetworkpolicies"}`;
}

function isAdminLive(value: unknown): value is AdminTierLive {
  return isRecord(value) && isRecord(value.metadata) && typeof value.metadata.name === "string";
}

const ignoreNotFound = (err: unknown) => {
  if (classify(err).kind === "NotFound") return undefined;
  throw err;
};

export class KubeAdminTierWriter implements AdminTierWriter {
  constructor(private readonly http: KeepAliveJson, private readonly limiter?: TokenBucket) {}

  create(kind: AdminKind, object: AdminTierObject): Promise<WriteResult> {
    return attempt(this.limiter, () => this.http.request("POST", adminPath(kind), { body: object, query: { fieldManager: FIELD_MANAGER } }));
  }

  replace(kind: AdminKind, object: AdminTierObject, current: AdminTierLive): Promise<WriteResult> {
    const body = { apiVersion: object.apiVersion, kind: object.kind, metadata: replacedMetadata(object.metadata, current.metadata), spec: object.spec };
    return attempt(this.limiter, () => this.http.request("PUT", `${adminPath(kind)}/${object.metadata.name}`, { body, query: { fieldManager: FIELD_MANAGER } }));
  }

  remove(kind: AdminKind, current: AdminTierLive): Promise<WriteResult> {
    const { name, uid } = current.metadata;
    const options = uid ? { body: { preconditions: { uid } } } : {};
    return attempt(this.limiter, () => this.http.request("DELETE", `${adminPath(kind)}/${name}`, options).catch(ignoreNotFound));
  }

  detach(kind: AdminKind, current: AdminTierLive, profileUid: string): Promise<WriteResult> {
    return attempt(this.limiter, () => this.http.request("PATCH", `${adminPath(kind)}/${current.metadata.name}`, { body: detachPatch(current.metadata, profileUid), contentType: MERGE }));
  }

  async read(kind: AdminKind, name: string): Promise<ReadResult<AdminTierLive | undefined>> {
    const path = `${adminPath(kind)}/${name}`;
    try {
      const value = await this.http.request("GET", path);
      return isAdminLive(value) ? { ok: true, value } : failure(new Error(`GET ${path}: the response is not a ${kind}`));
    } catch (err) {
      return classify(err).kind === "NotFound" ? { ok: true, value: undefined } : failure(err);
    }
  }
}

export class KubeProfileWriter implements ProfileWriter {
  constructor(private readonly http: KeepAliveJson, private readonly limiter?: TokenBucket) {}

  /** Server-side apply on /status: fields netfence stops setting are removed. */
  writeStatus(profile: IsolationProfile, status: IsolationProfileStatus): Promise<WriteResult> {
    const name = profile.metadata.name;
    const patch = { apiVersion: API_VERSION, kind: KIND, metadata: { name }, status };
    return attempt(this.limiter, () =>
      this.http.request("PATCH", `/apis/${GROUP}/${VERSION}/${PLURAL}/${name}/status`, { body: patch, contentType: SSA, query: { fieldManager: FIELD_MANAGER, force: true } }),
    );
  }

  setFinalizers(profile: IsolationProfile, finalizers: string[]): Promise<WriteResult> {
    const name = profile.metadata.name;
    const patch = { metadata: { finalizers, resourceVersion: profile.metadata.resourceVersion } };
    return attempt(this.limiter, () => this.http.request("PATCH", `/apis/${GROUP}/${VERSION}/${PLURAL}/${name}`, { body: patch, contentType: MERGE }));
  }
}

/** An Event netfence posted, for aggregating its repeats. */
interface Posted {
  name: string;
  at: number;
  count: number;
}

/**
 * events.k8s.io/v1 Events on profiles (cluster-scoped, so recorded in the
 * "default" namespace as kubectl describe expects). Repeats within ten minutes
 * never make a new object: a transition (a heal, a verdict change) that
 * repeats is aggregated as Kubernetes does, on the first Event's `series`
 * (count and last observed time); any other repeat is skipped. So a fight over
 * a policy costs one Event however long it lasts.
 */
export class KubeEventRecorder implements EventRecorder {
  private readonly recent = new Map<string, Posted>();

  /** On the kept-alive write transport: a connection (and TLS handshake) per event would compete with the writes. */
  constructor(private readonly http: KeepAliveJson, private readonly instance: string, private readonly log: Logger, private readonly dedupMs = 600_000) {}

  record(profile: IsolationProfile, type: "Normal" | "Warning", reason: string, message: string, options: { transition?: boolean } = {}): void {
    const key = `${profile.metadata.uid ?? profile.metadata.name}/${reason}/${message}`;
    const now = Date.now();
    const posted = this.recent.get(key);
    if (posted && posted.at > now - this.dedupMs) {
      if (options.transition) this.repeat(profile, reason, posted, now);
      return;
    }
    if (this.recent.size > 10_000) this.recent.clear();
    // Named like client-go's recorder: <object>.<unique hex> (generateName may not end in '.').
    const name = `${profile.metadata.name.slice(0, 200)}.${now.toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`;
    this.recent.set(key, { name, at: now, count: 1 });
    const event = {
      metadata: { name, namespace: "default" },
      eventTime: microTime(now),
      reportingController: "netfence.io/controller",
      reportingInstance: this.instance.slice(0, 128),
      action: reason,
      reason,
      type,
      note: message.slice(0, 1024),
      regarding: { apiVersion: API_VERSION, kind: KIND, name: profile.metadata.name, uid: profile.metadata.uid ?? "", resourceVersion: profile.metadata.resourceVersion ?? "" },
    };
    this.send(profile, reason, this.http.request("POST", EVENTS, { body: event }));
  }

  /** One more occurrence of a posted Event: its series counts it (the window restarts from the last one). */
  private repeat(profile: IsolationProfile, reason: string, posted: Posted, now: number): void {
    posted.count++;
    posted.at = now;
    const series = { count: posted.count, lastObservedTime: microTime(now) };
    this.send(profile, reason, this.http.request("PATCH", `${EVENTS}/${posted.name}`, { body: { series }, contentType: MERGE }));
  }

  private send(profile: IsolationProfile, reason: string, request: Promise<unknown>): void {
    request.catch((err: unknown) => {
      // Best effort (never retried, never fails a pass), but never silent.
      this.log.warn({ isolationProfile: profile.metadata.name, reason, err: classify(err).message }, "Could not record event");
    });
  }
}

const EVENTS = "/apis/events.k8s.io/v1/namespaces/default/events";

/** MicroTime: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "000Z");
}
