import { describe, expect, it } from "@jest/globals";
import { ApiException, KubeConfig } from "@kubernetes/client-node";
import pino from "pino";
import type { IsolationProfile } from "../../../src/api/types.js";
import { KeepAliveJson } from "../../../src/io/client.js";
import { KubeEventRecorder } from "../../../src/io/writer.js";

/** A transport whose every request fails with `status`. */
class Refusing extends KeepAliveJson {
  readonly requests: string[] = [];
  constructor(private readonly status: number) {
    super(new KubeConfig());
  }

  override request(method: string, path: string): Promise<unknown> {
    this.requests.push(`${method} ${path}`);
    return Promise.reject(new ApiException(this.status, "refused", JSON.stringify({ kind: "Status", code: this.status, message: `events is refused (${String(this.status)})` }), {}));
  }
}

/** A transport that accepts every request and keeps what it was sent. */
class Recording extends KeepAliveJson {
  readonly requests: { method: string; path: string; body: unknown }[] = [];
  constructor() {
    super(new KubeConfig());
  }

  override request(method: string, path: string, options: { body?: unknown } = {}): Promise<unknown> {
    this.requests.push({ method, path, body: options.body });
    return Promise.resolve({});
  }
}

const profile: IsolationProfile = { apiVersion: "netfence.io/v1alpha1", kind: "IsolationProfile", metadata: { name: "p", uid: "uid-p" }, spec: { preset: "deny-ingress", namespaces: { names: ["a"] } } };

describe("KubeEventRecorder", () => {
  it.each([
    ["Forbidden", 403],
    ["a server error", 500],
  ])("logs an event it could not record (%s) at warn, naming the profile and the reason", async (_name, status) => {
    const records: { level: number; msg: string; isolationProfile?: string; reason?: string }[] = [];
    const log = pino({ level: "info" }, { write: (line: string) => records.push(JSON.parse(line) as (typeof records)[number]) });
    const transport = new Refusing(status);
    new KubeEventRecorder(transport, "test", log).record(profile, "Normal", "DriftHealed", "Restored NetworkPolicy a/netfence-p: deleted outside netfence", { transition: true });
    await new Promise((r) => setImmediate(r));
    expect(transport.requests).toEqual(["POST /apis/events.k8s.io/v1/namespaces/default/events"]);
    expect(records.map((r) => ({ level: r.level, msg: r.msg, isolationProfile: r.isolationProfile, reason: r.reason }))).toEqual([
      { level: 40, msg: "Could not record event", isolationProfile: "p", reason: "DriftHealed" },
    ]);
  });

  it("aggregates a repeated transition on one Event, as Kubernetes does: one object, its series counting and its last time moving", async () => {
    const transport = new Recording();
    const recorder = new KubeEventRecorder(transport, "test", pino({ level: "silent" }));
    const heal = "Restored NetworkPolicy a/netfence-p: edited outside netfence";
    for (let i = 0; i < 5; i++) recorder.record(profile, "Normal", "DriftHealed", heal, { transition: true });
    recorder.record(profile, "Normal", "DriftHealed", "Restored NetworkPolicy b/netfence-p: edited outside netfence", { transition: true });
    await new Promise((r) => setImmediate(r));
    const posts = transport.requests.filter((r) => r.method === "POST");
    const patches = transport.requests.filter((r) => r.method === "PATCH");
    expect(posts).toHaveLength(2);
    const [first] = posts;
    const name = (first?.body as { metadata: { name: string } }).metadata.name;
    expect(patches.map((p) => p.path)).toEqual(Array.from({ length: 4 }, () => `/apis/events.k8s.io/v1/namespaces/default/events/${name}`));
    expect(patches.map((p) => (p.body as { series: { count: number } }).series.count)).toEqual([2, 3, 4, 5]);
    expect(patches.every((p) => typeof (p.body as { series: { lastObservedTime: unknown } }).series.lastObservedTime === "string")).toBe(true);
  });
});
