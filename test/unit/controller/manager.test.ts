import { afterEach, describe, expect, it } from "@jest/globals";
import type { IsolationProfile } from "../../../src/api/types.js";
import { ProfileController, type EventSource } from "../../../src/controller/manager.js";
import type { HandlerResult } from "../../../src/controller/queue.js";
import type { Namespace, NetworkPolicy, Pod } from "../../../src/k8s/objects.js";
import { silentLogger } from "../../../src/observability/logger.js";

/** An informer without a cluster: objects put in by the test, events emitted by it. */
class FakeInformer<T extends { metadata: { name: string; namespace?: string } }> implements EventSource<T> {
  private readonly items = new Map<string, T>();
  private readonly handlers: Record<string, ((obj: T, old?: T) => void)[]> = { add: [], update: [], delete: [] };
  get(name: string, namespace?: string): T | undefined {
    return this.items.get(`${namespace ?? ""}/${name}`);
  }
  list(): readonly T[] {
    return [...this.items.values()];
  }
  byNamespace(namespace: string): readonly T[] {
    return this.list().filter((i) => i.metadata.namespace === namespace);
  }
  on(event: "add" | "update" | "delete", handler: (obj: T, old?: T) => void): void {
    this.handlers[event]?.push(handler);
  }
  put(obj: T): void {
    const key = `${obj.metadata.namespace ?? ""}/${obj.metadata.name}`;
    const old = this.items.get(key);
    this.items.set(key, obj);
    for (const h of this.handlers[old ? "update" : "add"] ?? []) h(obj, old);
  }
  remove(obj: T): void {
    this.items.delete(`${obj.metadata.namespace ?? ""}/${obj.metadata.name}`);
    for (const h of this.handlers.delete ?? []) h(obj);
  }
}

const profile = (name: string, names: string[], generation = 1, status?: object): IsolationProfile =>
  ({ apiVersion: "netfence.io/v1alpha1", kind: "IsolationProfile", metadata: { name, generation }, spec: { preset: "deny-ingress", namespaces: { names } }, ...(status ? { status } : {}) });
const tenant = (ns: string): NetworkPolicy => ({ metadata: { name: "allow-all", namespace: ns }, spec: { podSelector: {} } });
const namespace = (name: string, labels: Record<string, string> = {}): Namespace => ({ metadata: { name, labels: { "kubernetes.io/metadata.name": name, ...labels } } });

function harness() {
  const caches = { profiles: new FakeInformer<IsolationProfile>(), namespaces: new FakeInformer<Namespace>(), pods: new FakeInformer<Pod>(), policies: new FakeInformer<NetworkPolicy>() };
  const runs: string[] = [];
  const deleted: string[] = [];
  /** While set, the run of profile "busy" waits for it: the one worker is occupied and keys wait in the queue. */
  const gate: { release?: () => void } = {};
  /** What the next runs return (then {}). */
  const results: (HandlerResult | Error)[] = [];
  const controller = new ProfileController(caches, {
    reconcile: async (name, rejudge) => {
      runs.push(rejudge ? `${name} rejudge ${[...rejudge].join(",")}` : name);
      if (name === "busy") await new Promise<void>((resolve) => (gate.release = resolve));
      const next = results.shift() ?? {};
      if (next instanceof Error) throw next;
      return next;
    },
    log: silentLogger(),
    concurrency: 1,
    qps: 1000,
    burst: 1000,
    resyncSeconds: 3600,
    podBatchSeconds: 0,
    operatorNamespace: "netfence-system",
    onProfileDeleted: (p) => deleted.push(p.metadata.name),
  });
  return { caches, runs, deleted, controller, gate, results };
}

const settle = async (runs: string[], count: number) => {
  for (let i = 0; i < 500 && runs.length < count; i++) await new Promise((r) => setTimeout(r, 2));
};

let current: ProfileController | undefined;
afterEach(async () => {
  await current?.stop(100);
  current = undefined;
});

describe("ProfileController", () => {
  it("reconciles nothing before start, then every profile once", async () => {
    const h = harness();
    current = h.controller;
    h.caches.profiles.put(profile("a", ["dev"]));
    h.caches.profiles.put(profile("b", ["test"]));
    expect(h.runs).toEqual([]);
    h.controller.start();
    await settle(h.runs, 2);
    expect([...h.runs].sort()).toEqual(["a", "b"]);
  });

  it.each<[string, (h: ReturnType<typeof harness>) => void, string[]]>([
    ["a new namespace a profile selects", (h) => h.caches.namespaces.put(namespace("new")), ["a"]],
    ["a tenant's policy in a selected namespace (that namespace judged again)", (h) => h.caches.policies.put(tenant("dev")), ["a rejudge dev"]],
    ["the profile's own policy (a full pass)", (h) => h.caches.policies.put({ ...tenant("dev"), metadata: { name: "netfence-a", namespace: "dev", labels: { "netfence.io/profile": "a" } } }), ["a"]],
    ["a pod relabelled in a selected namespace", (h) => h.caches.pods.put({ metadata: { name: "web", namespace: "dev", labels: { app: "web" } } }), ["a"]],
    ["a spec change of the profile", (h) => h.caches.profiles.put(profile("a", ["dev", "x"], 2)), ["a"]],
    ["a label change of a namespace the profile does not select", (h) => h.caches.namespaces.put(namespace("other", { team: "b" })), []],
    ["a namespace nothing selects", (h) => h.caches.namespaces.put(namespace("other")), []],
  ])("maps %s to its profile", async (_name, change, expected) => {
    const h = harness();
    current = h.controller;
    h.caches.namespaces.put(namespace("dev"));
    h.caches.profiles.put(profile("a", ["dev", "new"]));
    h.controller.start();
    await settle(h.runs, 1);
    h.runs.length = 0;
    change(h);
    // A marker profile proves the queue got past this change (its run comes after any the change caused).
    h.caches.profiles.put(profile("zz-marker", []));
    await settle(h.runs, expected.length + 1);
    expect(h.runs.filter((r) => r !== "zz-marker")).toEqual(expected);
  });

  it.each<[string, (h: ReturnType<typeof harness>) => void, string]>([
    ["tenant policies in two namespaces: one pass judging both", (h) => [tenant("dev"), tenant("qa")].forEach((p) => h.caches.policies.put(p)), "a rejudge dev,qa"],
    ["a tenant's policy, then a new namespace: one full pass", (h) => (h.caches.policies.put(tenant("dev")), h.caches.namespaces.put(namespace("new"))), "a"],
    ["a new namespace, then a tenant's policy: one full pass", (h) => (h.caches.namespaces.put(namespace("new")), h.caches.policies.put(tenant("dev"))), "a"],
  ])("merges what waits in the queue: %s", async (_name, change, expected) => {
    const h = harness();
    current = h.controller;
    for (const ns of ["dev", "qa"]) h.caches.namespaces.put(namespace(ns));
    h.caches.profiles.put(profile("a", ["dev", "qa", "new"]));
    h.controller.start();
    await settle(h.runs, 1);
    h.caches.profiles.put(profile("busy", []));
    await settle(h.runs, 2);
    change(h);
    h.gate.release?.();
    h.caches.profiles.put(profile("zz-marker", []));
    await settle(h.runs, 4);
    expect(h.runs).toEqual(["a", "busy", expected, "zz-marker"]);
  });

  it("events that reach an idle worker together are one pass; the queue's re-run for the later ones finds nothing to do", async () => {
    const h = harness();
    current = h.controller;
    for (const ns of ["dev", "qa"]) h.caches.namespaces.put(namespace(ns));
    h.caches.profiles.put(profile("a", ["dev", "qa"]));
    h.controller.start();
    await settle(h.runs, 1);
    // The first event hands the key to the idle worker at once; the second arrives before its pass begins.
    h.caches.policies.put(tenant("dev"));
    h.caches.policies.put(tenant("qa"));
    h.caches.profiles.put(profile("zz-marker", []));
    await settle(h.runs, 3);
    await new Promise((r) => setTimeout(r, 20));
    expect(h.runs).toEqual(["a", "a rejudge dev,qa", "zz-marker"]);
  });

  it.each<[string, HandlerResult | Error]>([
    ["asks for a retry", { retry: true }],
    ["asks to come back later", { requeueAfterMs: 1 }],
    ["throws", new Error("boom")],
  ])("a re-judging pass that %s runs again in full", async (_name, result) => {
    const h = harness();
    current = h.controller;
    h.caches.namespaces.put(namespace("dev"));
    h.caches.profiles.put(profile("a", ["dev"]));
    h.controller.start();
    await settle(h.runs, 1);
    h.results.push(result);
    h.caches.policies.put(tenant("dev"));
    await settle(h.runs, 3);
    expect(h.runs).toEqual(["a", "a rejudge dev", "a"]);
  });

  it("does not reconcile again when only the profile's status was written", async () => {
    const h = harness();
    current = h.controller;
    h.caches.profiles.put(profile("a", ["dev"]));
    h.controller.start();
    await settle(h.runs, 1);
    h.caches.profiles.put(profile("a", ["dev"], 1, { observedGeneration: 1 }));
    h.caches.profiles.put(profile("zz-marker", []));
    await settle(h.runs, 2);
    expect(h.runs).toEqual(["a", "zz-marker"]);
  });

  it("tells when a profile is deleted, and reconciles it (its finalizer)", async () => {
    const h = harness();
    current = h.controller;
    const p = profile("a", ["dev"]);
    h.caches.profiles.put(p);
    h.controller.start();
    await settle(h.runs, 1);
    h.caches.profiles.remove(p);
    await settle(h.runs, 2);
    expect(h.deleted).toEqual(["a"]);
    expect(h.runs).toEqual(["a", "a"]);
  });
});
