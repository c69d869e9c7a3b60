/**
 * An independent observer: a watch of its own that timestamps every event on
 * arrival (performance.now(), this process's clock), keyed "namespace/name".
 * It lists first for a resourceVersion and watches from there, so it sees
 * only what happens after it started; a broken watch resumes from the last
 * resourceVersion seen.
 */
import { Watch, type KubeConfig } from "@kubernetes/client-node";
import { getJson } from "../../src/io/client.js";

export interface Seen<T> {
  object: T;
  added?: number;
  modified: number[];
  deleted?: number;
  /** Last event time. */
  last: number;
}

interface Meta {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
}

export class TimedWatch<T extends Meta> {
  readonly seen = new Map<string, Seen<T>>();
  readonly counts = { ADDED: 0, MODIFIED: 0, DELETED: 0 };
  private rv = "";
  private abort: AbortController | undefined;
  private stopped = false;
  private listeners: ((type: string, key: string, obj: T, at: number) => void)[] = [];

  constructor(
    private readonly kc: KubeConfig,
    private readonly path: string,
    private readonly labelSelector?: string,
  ) {}

  async start(): Promise<this> {
    const list = (await getJson(this.kc, this.path, { query: { limit: 1, labelSelector: this.labelSelector } })) as { metadata?: { resourceVersion?: string } };
    this.rv = list.metadata?.resourceVersion ?? "";
    await this.connect();
    return this;
  }

  on(listener: (type: string, key: string, obj: T, at: number) => void): void {
    this.listeners.push(listener);
  }

  /** Forgets what was seen (between runs). */
  reset(): void {
    this.seen.clear();
    this.counts.ADDED = this.counts.MODIFIED = this.counts.DELETED = 0;
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }

  private async connect(): Promise<void> {
    const watch = new Watch(this.kc);
    this.abort = await watch.watch(
      this.path,
      { resourceVersion: this.rv, allowWatchBookmarks: true, timeoutSeconds: 3600, ...(this.labelSelector ? { labelSelector: this.labelSelector } : {}) },
      (type, obj: T) => this.event(type, obj),
      () => {
        if (!this.stopped) setTimeout(() => void this.connect().catch(() => setTimeout(() => void this.connect(), 1000)), 100);
      },
    );
  }

  private event(type: string, obj: T): void {
    const at = performance.now();
    const rv = obj.metadata?.resourceVersion;
    if (rv) this.rv = rv;
    if (type !== "ADDED" && type !== "MODIFIED" && type !== "DELETED") return;
    const key = `${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}`;
    let s = this.seen.get(key);
    if (!s) this.seen.set(key, (s = { object: obj, modified: [], last: at }));
    s.object = obj;
    s.last = at;
    this.counts[type]++;
    if (type === "ADDED") {
      s.added = at;
      s.deleted = undefined;
    } else if (type === "MODIFIED") s.modified.push(at);
    else s.deleted = at;
    for (const l of this.listeners) l(type, key, obj, at);
  }
}
