/**
 * A resilient informer: a local cache of one resource kept current by
 * list + watch, on client-node 1.4.0's `Watch`, with the pitfalls of its
 * `ListWatch` handled (see the design notes in docs/development.md).
 *
 * - Restarts after ANY error (1.4.0's ListWatch stops for good on everything but
 *   410) with exponential backoff and jitter, counting restarts. Each (re)start is
 *   a fresh "run" tagged with a generation; events, errors and the AbortError
 *   that aborting a watch emits from an abandoned run are ignored.
 * - The list is ours (paged with `limit`/`continue`, same label selector as the
 *   watch, plain JSON, optional metadata-only `Accept`). Every list — first one,
 *   relist after 410, relist after a restart — is diffed against this cache:
 *   vanished objects get a `delete`, new ones `add`, changed ones `update`, so no
 *   delete is lost while the watch was down.
 * - The watch loop is ours too: a watch the server ends (timeoutSeconds) resumes
 *   from the last resourceVersion seen (bookmarks included); a 410 lists again.
 *   ListWatch would keep a second cache of every object it ever saw as served,
 *   next to this one's transformed copy (every watched object kept twice).
 * - `synced()` turns true after the first successful list. `start()` has a
 *   deadline; the watch path carries `timeoutSeconds` + `allowWatchBookmarks`; a
 *   watchdog restarts a watch that has shown no sign of life (connect, event or
 *   bookmark) for too long.
 * - Handlers run inside try/catch: a throwing handler is logged, never crashes
 *   the process. Handlers should only compute keys and enqueue.
 *
 * Objects are the JSON the API server sends (timestamps are strings, not Dates);
 * list items get `apiVersion`/`kind` filled in like watch objects have them.
 */
import { Watch, type KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { backoffDelay } from "../lib/backoff.js";
import { isRecord } from "../lib/is-record.js";
import type { JsonInterner } from "./intern.js";
import { getJson } from "./client.js";
import { classify } from "./errors.js";

/** The least an informer needs of an object. */
export interface ObjectWithMeta {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

/** What a metadata-only informer caches (Pods, Namespaces): JSON as served, timestamps are strings. */
export interface PartialObjectMetadata {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
    finalizers?: string[];
  };
}

export const METADATA_LIST_ACCEPT = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
export const METADATA_ACCEPT = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";

export interface InformerOptions<T extends ObjectWithMeta = ObjectWithMeta> {
  /** For logs and metrics: "namespaces", "networkpolicies", … */
  name: string;
  /** Collection path without query: "/api/v1/namespaces", "/apis/networking.k8s.io/v1/networkpolicies", … */
  path: string;
  /** Applied to list and watch alike. */
  labelSelector?: string;
  /** Cache only metadata (PartialObjectMetadata): for Pods and Namespaces. */
  metadataOnly?: boolean;
  /**
   * Keeps only what the cache's readers need of each object (client-go's
   * SetTransform), applied to list items and watch objects before caching.
   * metadata.managedFields is dropped either way.
   */
  transform?: (obj: T) => T;
  /** Objects per list page; default 500. */
  pageSize?: number;
  logger: Logger;
  /** Deadline of one start (list + watch connect); default 60 s. */
  startTimeoutMs?: number;
  /** Server-side watch timeout; default 300 s. */
  watchTimeoutSeconds?: number;
  /** Restart when the watch shows no sign of life this long; default watchTimeoutSeconds + 30 s. */
  idleTimeoutMs?: number;
  /** Timeout of one list page request; default 60 s. */
  requestTimeoutMs?: number;
  /** Restart backoff; default 500 ms doubling up to 30 s, with jitter. */
  restartBackoff?: { baseMs: number; maxMs: number };
}

export type InformerEvent = "add" | "update" | "delete";
export type InformerHandler<T> = (obj: T, old?: T) => void;

export interface Informer<T extends ObjectWithMeta> {
  /** Starts list + watch; resolves after the first attempt, successful or not (see `waitForSync`). */
  start(): Promise<void>;
  /** Stops watching; the cache stays readable, and `start()` may be called again. */
  stop(): Promise<void>;
  /** True once a list has succeeded (the cache reflects the cluster at some point). */
  synced(): boolean;
  /** Resolves true once synced, false after `timeoutMs` or on stop. */
  waitForSync(timeoutMs: number): Promise<boolean>;
  /** Every cached object; the same array until the cache changes (do not keep it across passes). */
  list(): readonly T[];
  get(name: string, namespace?: string): T | undefined;
  /** The objects of one namespace; the same array until that namespace's objects change. */
  byNamespace(namespace: string): readonly T[];
  /** `update` handlers get the previous object as `old`; `delete` gets the object from the watch's DELETED event, or the cached one when a relist finds it gone. */
  on(event: InformerEvent, handler: InformerHandler<T>): void;
  /** Restarts after errors, deadlines and idle watches since creation. */
  readonly restarts: number;
  /** The resourceVersion of the last successful list ("" before the first). */
  readonly listResourceVersion: string;
}

export function createInformer<T extends ObjectWithMeta>(kc: KubeConfig, options: InformerOptions<T>): Informer<T> {
  return new ResilientInformer<T>(kc, options);
}

/** A KubeConfig whose fetch options (used by client-node's Watch) carry another Accept header. */
export function withAcceptHeader(kc: KubeConfig, accept: string): KubeConfig {
  const derived = Object.create(kc) as KubeConfig;
  derived.applyToFetchOptions = async (opts) => {
    const init = await kc.applyToFetchOptions(opts);
    // client-node builds node-fetch's Headers, not the global class: test for the
    // method, never `instanceof`. Spreading a Headers object copies nothing, which
    // would drop the Authorization header of a token-authenticated client.
    const headers = init.headers as { set?: unknown } | Record<string, string> | undefined;
    if (headers && typeof headers.set === "function") (headers as { set(k: string, v: string): void }).set("Accept", accept);
    else init.headers = { ...(headers as Record<string, string> | undefined), Accept: accept };
    return init;
  };
  return derived;
}

/** client-node's Watch, reporting signs of life and never rejecting; an abandoned one aborts what it opens. */
class TrackingWatch extends Watch {
  private abandoned = false;

  constructor(
    config: KubeConfig,
    private readonly alive: () => void,
  ) {
    super(config);
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const controller = new AbortController();
    if (this.abandoned) {
      controller.abort();
      return controller;
    }
    this.alive();
    try {
      const opened = await super.watch(path, queryParams, (phase, obj, raw) => {
        this.alive();
        callback(phase, obj, raw);
      }, done);
      if (this.isAbandoned()) opened.abort();
      return opened;
    } catch (err) {
      // 1.4.0 throws when the config has no cluster.
      done(err);
      return controller;
    }
  }

  abandon(): void {
    this.abandoned = true;
  }

  isAbandoned(): boolean {
    return this.abandoned;
  }
}

interface Run {
  gen: number;
  watch: TrackingWatch;
  /** Aborts the run's list requests. */
  abort: AbortController;
  /** The open watch request. */
  request?: AbortController;
  /** When the current watch was opened. */
  watchedAt: number;
  /** Where a watch the server ended resumes: the last resourceVersion listed or seen. */
  resourceVersion: string;
  /** The server sent a 410 ERROR event: list again when the watch ends. */
  expired: boolean;
  startedAt: number;
}

/** A watch the server ends sooner than this after opening counts as a failure (backoff), not a normal end. */
const QUICK_CLOSE_MS = 1000;

/** A run that lived this long was healthy: its failure resets the backoff. */
const HEALTHY_RUN_MS = 30_000;

function keyOf(obj: ObjectWithMeta): [string, string] {
  return [obj.metadata?.namespace ?? "", obj.metadata?.name ?? ""];
}

/**
 * Drops metadata.managedFields, in place: nothing netfence decides reads it,
 * and it was most of the cache's memory (docs/benchmarks.md).
 */
function slim<O>(obj: O): O {
  const metadata = (obj as { metadata?: { managedFields?: unknown } } | undefined)?.metadata;
  if (metadata && "managedFields" in metadata) delete metadata.managedFields;
  return obj;
}

/**
 * The fields netfence reads of a Pod or a Namespace: identity, labels and
 * deletion. Pods of real workloads also carry owner references, annotations
 * (often large), generateName and finalizers, none of which decide anything.
 */
export function keepIdentityAndLabels<O extends PartialObjectMetadata>(obj: O): O {
  const m = obj.metadata;
  if (!m) return obj;
  const metadata: NonNullable<PartialObjectMetadata["metadata"]> = { name: m.name, uid: m.uid, resourceVersion: m.resourceVersion };
  if (m.namespace !== undefined) metadata.namespace = m.namespace;
  if (m.labels !== undefined) metadata.labels = m.labels;
  if (m.deletionTimestamp !== undefined) metadata.deletionTimestamp = m.deletionTimestamp;
  return { metadata } as O;
}

type SharedPart = "labels" | "annotations" | "ownerReferences" | "spec";

/**
 * A transform that keeps parts equal across cached objects once (see
 * JsonInterner): metadata.labels, metadata.annotations,
 * metadata.ownerReferences, spec. Cached objects are read-only either way;
 * the shared parts are frozen.
 */
export function shareParts<O extends { metadata?: object; spec?: unknown }>(interner: JsonInterner, parts: readonly SharedPart[]): (obj: O) => O {
  return (obj) => {
    const metadata = obj.metadata as Record<string, unknown> | undefined;
    for (const part of parts) {
      if (part === "spec") {
        if (obj.spec !== undefined) obj.spec = interner.intern(obj.spec);
      } else if (metadata?.[part] !== undefined) {
        metadata[part] = interner.intern(metadata[part]);
      }
    }
    return obj;
  };
}

/** 410 Gone, as client-node's Watch reports a failed watch request. */
function isGone(err: unknown): boolean {
  return isRecord(err) && (err.statusCode === 410 || err.code === 410);
}

class ResilientInformer<T extends ObjectWithMeta> implements Informer<T> {
  private readonly cache = new Map<string, Map<string, T>>();
  /**
   * Array snapshots handed out by list() and byNamespace(), dropped on change.
   * Without them a pass read every namespace and policy, and every namespace's
   * pods, as fresh arrays: garbage in proportion to the cluster, every pass.
   */
  private everything: readonly T[] | undefined;
  private readonly perNamespace = new Map<string, readonly T[]>();
  private readonly handlers: Record<InformerEvent, InformerHandler<T>[]> = { add: [], update: [], delete: [] };
  private readonly log: Logger;
  private readonly watchConfig: KubeConfig;
  private readonly watchPath: string;
  private readonly startTimeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly backoff: { baseMs: number; maxMs: number };
  private run: Run | undefined;
  private gen = 0;
  private failures = 0;
  private restartCount = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private lastSignOfLife = Date.now();
  private running = false;
  private hasSynced = false;
  private listRv = "";
  private syncWaiters: ((synced: boolean) => void)[] = [];

  constructor(
    private readonly kc: KubeConfig,
    private readonly options: InformerOptions<T>,
  ) {
    this.log = options.logger.child({ informer: options.name });
    this.watchConfig = options.metadataOnly ? withAcceptHeader(kc, METADATA_ACCEPT) : kc;
    const watchTimeoutSeconds = options.watchTimeoutSeconds ?? 300;
    this.watchPath = `${options.path}${options.path.includes("?") ? "&" : "?"}timeoutSeconds=${String(watchTimeoutSeconds)}&allowWatchBookmarks=true`;
    this.startTimeoutMs = options.startTimeoutMs ?? 60_000;
    this.idleTimeoutMs = options.idleTimeoutMs ?? (watchTimeoutSeconds + 30) * 1000;
    this.backoff = options.restartBackoff ?? { baseMs: 500, maxMs: 30_000 };
  }

  get restarts(): number {
    return this.restartCount;
  }

  get listResourceVersion(): string {
    return this.listRv;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.failures = 0;
    const interval = Math.max(100, Math.min(5000, this.idleTimeoutMs / 4));
    this.watchdog = setInterval(() => this.checkAlive(), interval);
    this.watchdog.unref();
    await this.startRun();
  }

  stop(): Promise<void> {
    this.running = false;
    clearInterval(this.watchdog);
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.abandonRun();
    for (const wake of this.syncWaiters.splice(0)) wake(this.hasSynced);
    this.log.debug("Informer stopped");
    return Promise.resolve();
  }

  synced(): boolean {
    return this.hasSynced && this.listRv !== "";
  }

  waitForSync(timeoutMs: number): Promise<boolean> {
    if (this.synced()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.syncWaiters = this.syncWaiters.filter((w) => w !== wake);
        resolve(this.synced());
      }, timeoutMs);
      const wake = (synced: boolean) => {
        clearTimeout(timer);
        resolve(synced);
      };
      this.syncWaiters.push(wake);
    });
  }

  list(): readonly T[] {
    if (this.everything) return this.everything;
    const all: T[] = [];
    for (const names of this.cache.values()) for (const obj of names.values()) all.push(obj);
    return (this.everything = all);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.cache.get(namespace ?? "")?.get(name);
  }

  byNamespace(namespace: string): readonly T[] {
    let objects = this.perNamespace.get(namespace);
    if (!objects) {
      const names = this.cache.get(namespace);
      if (!names) return [];
      this.perNamespace.set(namespace, (objects = [...names.values()]));
    }
    return objects;
  }

  on(event: InformerEvent, handler: InformerHandler<T>): void {
    this.handlers[event].push(handler);
  }

  // ---- runs ----

  /** Starts a fresh run; resolves when its first list + watch connect finished, failed, or hit the deadline. */
  private async startRun(): Promise<void> {
    if (!this.running) return;
    const gen = ++this.gen;
    const watch = new TrackingWatch(this.watchConfig, () => {
      if (gen === this.gen) this.lastSignOfLife = Date.now();
    });
    const run: Run = { gen, watch, abort: new AbortController(), resourceVersion: "", expired: false, startedAt: Date.now(), watchedAt: 0 };
    this.run = run;
    this.lastSignOfLife = Date.now();
    this.log.debug({ gen }, "Informer starting list and watch");

    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<"deadline">((resolve) => (timer = setTimeout(() => resolve("deadline"), this.startTimeoutMs)));
    const started = this.listAndWatch(run, false).then(
      () => "started" as const,
      (err: unknown) => {
        this.failed(gen, err);
        return "failed" as const;
      },
    );
    const result = await Promise.race([started, deadline]);
    clearTimeout(timer);
    if (result === "deadline") this.failed(gen, new Error(`list and watch did not start within ${String(this.startTimeoutMs)}ms`));
  }

  /** Lists (unless resuming), then opens a watch from the run's resourceVersion; rejects on failure. */
  private async listAndWatch(run: Run, resume: boolean): Promise<void> {
    if (!resume) run.resourceVersion = await this.listAll(run.gen, run.abort.signal);
    if (!this.isCurrent(run.gen)) return;
    const query: Record<string, string> = { resourceVersion: run.resourceVersion };
    if (this.options.labelSelector) query.labelSelector = this.options.labelSelector;
    run.watchedAt = Date.now();
    run.request = await run.watch.watch(
      this.watchPath,
      query,
      (phase, obj) => this.onWatchEvent(run, phase, obj),
      (err) => this.onWatchDone(run, err),
    );
  }

  private onWatchEvent(run: Run, phase: string, obj: unknown): void {
    if (!this.isCurrent(run.gen) || !isRecord(obj)) return;
    switch (phase) {
      case "ADDED":
      case "MODIFIED":
        this.upsert(this.keep(obj));
        break;
      case "DELETED":
        this.remove(obj as T);
        break;
      case "ERROR":
        // A Status object; 410 Gone: the resourceVersion is too old to resume from.
        if (obj.code === 410) run.expired = true;
        else this.log.warn({ status: obj }, "Watch sent an error event");
        return;
      default:
      // BOOKMARK: only the resourceVersion moves.
    }
    const rv = isRecord(obj.metadata) ? obj.metadata.resourceVersion : undefined;
    if (typeof rv === "string" && rv) run.resourceVersion = rv;
  }

  /** The watch ended: resume when the server closed it, list again after a 410, restart the run on any other error. */
  private onWatchDone(run: Run, err: unknown): void {
    if (!this.isCurrent(run.gen)) return;
    run.request = undefined;
    const gone = run.expired || isGone(err);
    if (err && !gone) {
      this.failed(run.gen, err);
      return;
    }
    // A watch the server closes as soon as it opens would otherwise be reopened in a hot loop.
    if (!gone && Date.now() - run.watchedAt < QUICK_CLOSE_MS) {
      this.failed(run.gen, new Error(`the watch closed within ${String(QUICK_CLOSE_MS)}ms of opening`));
      return;
    }
    run.expired = false;
    if (gone) this.log.info({ resourceVersion: run.resourceVersion }, "Watch expired (410 Gone); listing again");
    else this.log.debug({ resourceVersion: run.resourceVersion }, "Watch closed by the server; resuming");
    this.listAndWatch(run, !gone).catch((e: unknown) => this.failed(run.gen, e));
  }

  /** What the cache keeps of an object as served. */
  private keep(obj: unknown): T {
    const slimmed = slim(obj) as T;
    return this.options.transform ? this.options.transform(slimmed) : slimmed;
  }

  private isCurrent(gen: number): boolean {
    return gen === this.gen && this.running;
  }

  /** An error of run `gen`: restart with backoff unless it is stale (an abandoned run, our own stop). */
  private failed(gen: number, err: unknown): void {
    if (gen !== this.gen || !this.running) {
      this.log.trace({ gen, err }, "Ignoring an error of a stopped run");
      return;
    }
    const e = classify(err);
    this.log.warn({ kind: e.kind, code: e.code, reason: e.reason, gen }, `Informer list/watch failed: ${e.message}`);
    this.scheduleRestart();
  }

  private checkAlive(): void {
    if (!this.running || this.restartTimer || !this.run) return;
    const idle = Date.now() - this.lastSignOfLife;
    if (idle <= this.idleTimeoutMs) return;
    this.log.warn({ idleMs: idle }, "Informer watch shows no sign of life; restarting");
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    if (!this.running || this.restartTimer) return;
    const run = this.run;
    if (run && Date.now() - run.startedAt > HEALTHY_RUN_MS) this.failures = 0;
    this.abandonRun();
    const delay = backoffDelay(this.failures, { ...this.backoff, jitter: 0.5 });
    this.failures++;
    this.restartCount++;
    this.log.info({ delayMs: Math.round(delay), restarts: this.restartCount }, "Informer restarting after backoff");
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void this.startRun();
    }, delay);
    this.restartTimer.unref();
  }

  private abandonRun(): void {
    const run = this.run;
    if (!run) return;
    this.run = undefined;
    this.gen++;
    run.abort.abort();
    run.watch.abandon();
    run.request?.abort();
  }

  // ---- list ----

  /** Lists every page; applies the result to the cache (diff → events) unless the run was superseded. */
  private async listAll(gen: number, signal: AbortSignal): Promise<string> {
    const items: T[] = [];
    let resourceVersion = "";
    let apiVersion = "";
    let kind = "";
    let token: string | undefined;
    do {
      const page = await getJson(this.kc, this.options.path, {
        query: { limit: this.options.pageSize ?? 500, continue: token, labelSelector: this.options.labelSelector },
        ...(this.options.metadataOnly ? { accept: METADATA_LIST_ACCEPT } : {}),
        timeoutMs: this.options.requestTimeoutMs ?? 60_000,
        signal,
      });
      // An empty PartialObjectMetadataList comes back with `"items": null`.
      if (!isRecord(page) || !(Array.isArray(page.items) || page.items === null)) throw new Error(`list ${this.options.path}: the response is not a list`);
      const meta = isRecord(page.metadata) ? page.metadata : {};
      if (!resourceVersion && typeof meta.resourceVersion === "string") resourceVersion = meta.resourceVersion;
      if (!apiVersion && typeof page.apiVersion === "string") apiVersion = page.apiVersion;
      if (!kind && typeof page.kind === "string") kind = page.kind.replace(/List$/, "");
      for (const item of (page.items ?? []) as unknown[]) if (isRecord(item)) items.push(this.keep({ apiVersion, kind, ...item }));
      token = typeof meta.continue === "string" && meta.continue ? meta.continue : undefined;
      if (gen === this.gen) this.lastSignOfLife = Date.now();
    } while (token);
    if (gen !== this.gen || !this.running) throw new Error("superseded by a newer list");
    if (!resourceVersion) throw new Error(`list ${this.options.path}: the response has no resourceVersion`);
    this.replace(items, resourceVersion);
    return resourceVersion;
  }

  // ---- cache ----

  /** Makes the cache equal to a full list, emitting delete / add / update for the differences. */
  private replace(items: T[], resourceVersion: string): void {
    const fresh = new Map<string, Set<string>>();
    for (const item of items) {
      const [ns, name] = keyOf(item);
      let names = fresh.get(ns);
      if (!names) fresh.set(ns, (names = new Set()));
      names.add(name);
    }
    let deleted = 0;
    for (const [ns, names] of this.cache) {
      for (const [name, old] of names) {
        if (fresh.get(ns)?.has(name)) continue;
        names.delete(name);
        this.changed(ns);
        deleted++;
        this.emit("delete", old);
      }
      if (names.size === 0) this.cache.delete(ns);
    }
    for (const item of items) this.upsert(item);
    this.listRv = resourceVersion;
    const firstSync = !this.hasSynced;
    this.hasSynced = true;
    this.log.debug({ objects: items.length, deletedSinceLastList: deleted, resourceVersion }, "Informer listed");
    if (firstSync) {
      this.log.info({ objects: items.length, resourceVersion }, "Informer synced");
      for (const wake of this.syncWaiters.splice(0)) wake(true);
    }
  }

  private upsert(obj: T): void {
    const [ns, name] = keyOf(obj);
    let names = this.cache.get(ns);
    if (!names) this.cache.set(ns, (names = new Map<string, T>()));
    const old = names.get(name);
    if (!old) {
      names.set(name, obj);
      this.changed(ns);
      this.emit("add", obj);
      return;
    }
    const rv = obj.metadata?.resourceVersion;
    if (rv !== undefined && rv === old.metadata?.resourceVersion) return;
    names.set(name, obj);
    this.changed(ns);
    this.emit("update", obj, old);
  }

  private remove(obj: T): void {
    const [ns, name] = keyOf(obj);
    const names = this.cache.get(ns);
    if (!names?.has(name)) return;
    names.delete(name);
    if (names.size === 0) this.cache.delete(ns);
    this.changed(ns);
    this.emit("delete", obj);
  }

  private changed(namespace: string): void {
    this.everything = undefined;
    this.perNamespace.delete(namespace);
  }

  private emit(event: InformerEvent, obj: T, old?: T): void {
    for (const handler of this.handlers[event]) {
      try {
        handler(obj, old);
      } catch (err) {
        this.log.error({ err, event, name: obj.metadata?.name, namespace: obj.metadata?.namespace }, "Informer event handler threw; ignored");
      }
    }
  }
}
