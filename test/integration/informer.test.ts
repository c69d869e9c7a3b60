import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import pino, { type Logger } from "pino";
import { createInformer, keepIdentityAndLabels, type Informer, type InformerOptions, type ObjectWithMeta, type PartialObjectMetadata } from "../../src/io/informer.js";
import { silentLogger } from "../../src/observability/logger.js";
import { eventually, kubeConfig, uniqueName } from "./helpers.js";

/**
 * The resilient informer against the real API server: what it caches and which
 * events it emits for namespaces (metadata only), pods (metadata only) and
 * labelled NetworkPolicies, across stop/start, idle-watch restarts and a server
 * that never answers.
 */
const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const net = kc.makeApiClient(k8s.NetworkingV1Api);
const MANAGED = { "app.kubernetes.io/managed-by": "netfence" };
const SELECTOR = "app.kubernetes.io/managed-by=netfence";

const ns = uniqueName("inf");
const informers: Informer<ObjectWithMeta>[] = [];

interface Recorded<T> {
  informer: Informer<T & ObjectWithMeta>;
  events: string[];
  olds: (T | undefined)[];
}

function record<T extends ObjectWithMeta>(options: Omit<InformerOptions<T>, "logger" | "name"> & { name?: string; logger?: Logger }): Recorded<T> {
  const informer = createInformer<T>(kc, { ...options, name: options.name ?? options.path, logger: options.logger ?? silentLogger() });
  informers.push(informer);
  const events: string[] = [];
  const olds: (T | undefined)[] = [];
  for (const event of ["add", "update", "delete"] as const) {
    informer.on(event, (obj, old) => {
      events.push(`${event} ${obj.metadata?.name ?? ""}`);
      if (event === "update") olds.push(old);
    });
  }
  return { informer, events, olds };
}

/** client-node 1.4.0 models are classes (and the lint wants instances): build them field by field. */
function make<T extends object>(type: new () => T, fields: Partial<T>): T {
  return Object.assign(new type(), fields);
}

const meta = (name: string, labels?: Record<string, string>) => make(k8s.V1ObjectMeta, labels ? { name, labels } : { name });
const namespace = (name: string) => make(k8s.V1Namespace, { metadata: meta(name) });

function policy(name: string, labels?: Record<string, string>): k8s.V1NetworkPolicy {
  const spec = make(k8s.V1NetworkPolicySpec, { podSelector: new k8s.V1LabelSelector(), policyTypes: ["Ingress"] });
  return make(k8s.V1NetworkPolicy, { metadata: meta(name, labels), spec });
}

function podBody(name: string, labels: Record<string, string>): k8s.V1Pod {
  const spec = make(k8s.V1PodSpec, { containers: [make(k8s.V1Container, { name: "c", image: "nginx" })] });
  return make(k8s.V1Pod, { metadata: meta(name, labels), spec });
}

function annotated(pod: k8s.V1Pod, annotations: Record<string, string>): k8s.V1Pod {
  if (pod.metadata) pod.metadata.annotations = annotations;
  return pod;
}

const createPolicy = (name: string, labels?: Record<string, string>, inNamespace = ns) => net.createNamespacedNetworkPolicy({ namespace: inNamespace, body: policy(name, labels) });
const deletePolicy = (name: string, inNamespace = ns) => net.deleteNamespacedNetworkPolicy({ name, namespace: inNamespace });
const mergePatch = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);

const has = (events: string[], event: string) => (events.includes(event) ? true : undefined);

beforeAll(async () => {
  await core.createNamespace({ body: namespace(ns) });
});

afterAll(async () => {
  await Promise.all(informers.map((i) => i.stop()));
  await core.deleteNamespace({ name: ns }).catch(() => undefined);
});

describe("createInformer on the real API server", () => {
  it("caches namespaces as metadata only, is synced only after the first list, and sees add, update and delete", async () => {
    const { informer, events, olds } = record<PartialObjectMetadata>({ path: "/api/v1/namespaces", metadataOnly: true });
    expect(informer.synced()).toBe(false);
    await informer.start();
    expect(await informer.waitForSync(10_000)).toBe(true);
    expect(informer.listResourceVersion).not.toBe("");
    expect(informer.get("default")).toMatchObject({ apiVersion: "meta.k8s.io/v1", kind: "PartialObjectMetadata" });

    const name = uniqueName("inf-ns");
    await core.createNamespace({ body: namespace(name) });
    const added = await eventually(() => Promise.resolve(informer.get(name)), "the new namespace in the cache");
    expect(added).toMatchObject({ kind: "PartialObjectMetadata", metadata: { name } });
    expect(added).not.toHaveProperty("spec");
    expect(added).not.toHaveProperty("status");

    await core.patchNamespace({ name, body: { metadata: { labels: { team: "a" } } } }, mergePatch);
    await eventually(() => Promise.resolve(informer.get(name)?.metadata?.labels?.team), "the label in the cache");
    expect(olds.find((o) => o?.metadata?.name === name)?.metadata?.labels?.team).toBeUndefined();

    await core.deleteNamespace({ name });
    // The delete event comes once the namespace controller has finished the namespace: under the parallel
    // suite it works through the fault tests' thousands of namespace deletions first (as in controlplane.test.ts).
    await eventually(() => Promise.resolve(has(events, `delete ${name}`)), "the namespace delete event", 300_000, 250);
    expect(informer.get(name)).toBeUndefined();
    expect(events.filter((e) => e.endsWith(` ${name}`))[0]).toBe(`add ${name}`);
  }, 360_000);

  it("caches pods of all namespaces as metadata only", async () => {
    const { informer } = record<PartialObjectMetadata>({ path: "/api/v1/pods", metadataOnly: true });
    await informer.start();
    expect(await informer.waitForSync(10_000)).toBe(true);
    const name = uniqueName("pod");
    await core.createNamespacedPod({ namespace: ns, body: podBody(name, { app: "web" }) });
    const pod = await eventually(() => Promise.resolve(informer.get(name, ns)), "the pod in the cache");
    expect(pod).toMatchObject({ kind: "PartialObjectMetadata", metadata: { name, namespace: ns, labels: { app: "web" } } });
    expect(pod).not.toHaveProperty("spec");
    expect(informer.byNamespace(ns).map((p) => p.metadata?.name)).toEqual([name]);
  });

  it("keeps only identity, labels and deletion of pods given keepIdentityAndLabels, and hands out the same arrays until something changes", async () => {
    const { informer } = record<PartialObjectMetadata>({ path: `/api/v1/namespaces/${ns}/pods`, metadataOnly: true, transform: keepIdentityAndLabels });
    const first = uniqueName("slim");
    await core.createNamespacedPod({ namespace: ns, body: annotated(podBody(first, { app: "web" }), { big: "x".repeat(4096) }) });
    await informer.start();
    expect(await informer.waitForSync(10_000)).toBe(true);
    const listed = await eventually(() => Promise.resolve(informer.get(first, ns)), "the listed pod");
    expect(Object.keys(listed.metadata ?? {}).sort()).toEqual(["labels", "name", "namespace", "resourceVersion", "uid"]);
    expect(listed).not.toHaveProperty("kind");

    const all = informer.list();
    const inNs = informer.byNamespace(ns);
    expect(informer.list()).toBe(all);
    expect(informer.byNamespace(ns)).toBe(inNs);

    const second = uniqueName("slim");
    await core.createNamespacedPod({ namespace: ns, body: annotated(podBody(second, { app: "api" }), { big: "y" }) });
    const watched = await eventually(() => Promise.resolve(informer.get(second, ns)), "the watched pod");
    expect(watched.metadata).not.toHaveProperty("annotations");
    expect(informer.list()).not.toBe(all);
    const names = (pods: readonly PartialObjectMetadata[]) => pods.map((p) => p.metadata?.name ?? "").filter((n) => n.startsWith("slim-")).sort();
    expect(names(informer.byNamespace(ns))).toEqual([first, second].sort());
    expect(names(all)).toEqual([first]);
  });

  it("honours the label selector in list and watch: an unlabelled policy never appears, one that loses the label is deleted", async () => {
    await createPolicy("listed", MANAGED);
    await createPolicy("listed-unlabelled");
    const { informer, events } = record<k8s.V1NetworkPolicy>({ path: "/apis/networking.k8s.io/v1/networkpolicies", labelSelector: SELECTOR });
    await informer.start();
    expect(await informer.waitForSync(10_000)).toBe(true);
    expect(informer.get("listed", ns)).toBeDefined();

    await createPolicy("p-unlabelled");
    await createPolicy("p-labelled", MANAGED);
    await eventually(() => Promise.resolve(informer.get("p-labelled", ns)), "the labelled policy");
    expect(informer.get("p-unlabelled", ns)).toBeUndefined();
    expect(informer.get("listed-unlabelled", ns)).toBeUndefined();
    expect(events.some((e) => e.includes("unlabelled"))).toBe(false);
    expect(informer.get("p-labelled", ns)).toMatchObject({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy" });
    expect(informer.get("listed", ns)).toMatchObject({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy" });

    await net.patchNamespacedNetworkPolicy({ name: "p-labelled", namespace: ns, body: { metadata: { annotations: { note: "x" } } } }, mergePatch);
    await eventually(() => Promise.resolve(has(events, "update p-labelled")), "the update event");

    await net.patchNamespacedNetworkPolicy({ name: "listed", namespace: ns, body: { metadata: { labels: { "app.kubernetes.io/managed-by": null } } } }, mergePatch);
    await eventually(() => Promise.resolve(has(events, "delete listed")), "a delete when the label goes");

    await deletePolicy("p-labelled");
    await eventually(() => Promise.resolve(has(events, "delete p-labelled")), "the delete event");
    expect(informer.byNamespace(ns)).toEqual([]);
  });

  it("pages a big list", async () => {
    const paged = uniqueName("inf-page");
    await core.createNamespace({ body: namespace(paged) });
    try {
      for (let i = 0; i < 7; i++) await createPolicy(`p${String(i)}`, MANAGED, paged);
      const { informer, events } = record({ path: `/apis/networking.k8s.io/v1/namespaces/${paged}/networkpolicies`, labelSelector: SELECTOR, pageSize: 2 });
      await informer.start();
      expect(await informer.waitForSync(10_000)).toBe(true);
      expect(informer.list().map((p) => p.metadata?.name).sort()).toEqual(["p0", "p1", "p2", "p3", "p4", "p5", "p6"]);
      expect(events.filter((e) => e.startsWith("add"))).toHaveLength(7);
    } finally {
      await core.deleteNamespace({ name: paged }).catch(() => undefined);
    }
  });

  it("emits the deletes, adds and updates it missed while stopped when it starts again (relist diff)", async () => {
    const scoped = uniqueName("inf-diff");
    await core.createNamespace({ body: namespace(scoped) });
    try {
      for (const name of ["stays", "changes", "goes"]) await createPolicy(name, MANAGED, scoped);
      const path = `/apis/networking.k8s.io/v1/namespaces/${scoped}/networkpolicies`;
      const { informer, events, olds } = record<k8s.V1NetworkPolicy>({ path, labelSelector: SELECTOR });
      // A witness watching the same objects, left running: once it has seen the changes, a running informer would have too.
      const witness = record<k8s.V1NetworkPolicy>({ path, labelSelector: SELECTOR, name: "witness" });
      await Promise.all([informer.start(), witness.informer.start()]);
      expect([await informer.waitForSync(10_000), await witness.informer.waitForSync(10_000)]).toEqual([true, true]);
      await informer.stop();
      events.length = 0;
      witness.events.length = 0;

      await deletePolicy("goes", scoped);
      await createPolicy("new", MANAGED, scoped);
      await net.patchNamespacedNetworkPolicy({ name: "changes", namespace: scoped, body: { metadata: { annotations: { v: "2" } } } }, mergePatch);
      await eventually(() => Promise.resolve(witness.events.length >= 3 ? true : undefined), "the witness to see the three changes");
      expect(witness.events.sort()).toEqual(["add new", "delete goes", "update changes"]);
      expect(events).toEqual([]);

      await informer.start();
      await eventually(() => Promise.resolve(events.length >= 3 ? true : undefined), "three catch-up events");
      expect(events.sort()).toEqual(["add new", "delete goes", "update changes"]);
      expect(olds.at(-1)?.metadata?.annotations?.v).toBeUndefined();
      expect(informer.list().map((p) => p.metadata?.name).sort()).toEqual(["changes", "new", "stays"]);
    } finally {
      await core.deleteNamespace({ name: scoped }).catch(() => undefined);
    }
  });

  it("survives a throwing handler: later handlers still run and the cache stays current", async () => {
    const { informer, events } = record({ path: `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies`, labelSelector: SELECTOR });
    informer.on("add", () => {
      throw new Error("handler bug");
    });
    const after: string[] = [];
    informer.on("add", (obj) => after.push(obj.metadata?.name ?? ""));
    await informer.start();
    expect(await informer.waitForSync(10_000)).toBe(true);
    await createPolicy("after-throw", MANAGED);
    await eventually(() => Promise.resolve(after.includes("after-throw") ? true : undefined), "the second handler");
    expect(events).toContain("add after-throw");
    expect(informer.get("after-throw", ns)).toBeDefined();
  });

  it("restarts a watch that shows no sign of life and keeps the cache current", async () => {
    const { informer } = record({ path: `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies`, labelSelector: SELECTOR, idleTimeoutMs: 500, restartBackoff: { baseMs: 50, maxMs: 200 } });
    await informer.start();
    expect(await informer.waitForSync(10_000)).toBe(true);
    await eventually(() => Promise.resolve(informer.restarts >= 1 ? true : undefined), "a watchdog restart", 10_000);
    await createPolicy("after-idle", MANAGED);
    await eventually(() => Promise.resolve(informer.get("after-idle", ns)), "the policy created after the restart");
    expect(informer.synced()).toBe(true);
  });

  it("resumes a watch the server ends from the last resourceVersion, without listing again or restarting", async () => {
    const logged: string[] = [];
    const logger = pino({ level: "debug" }, { write: (line: string) => logged.push((JSON.parse(line) as { msg: string }).msg) });
    const resumed = () => logged.filter((m) => m === "Watch closed by the server; resuming").length;
    const { informer, events } = record({ path: `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies`, labelSelector: SELECTOR, watchTimeoutSeconds: 2, logger });
    await informer.start();
    expect(await informer.waitForSync(10_000)).toBe(true);
    const listed = informer.listResourceVersion;
    await createPolicy("resume-1", MANAGED);
    await eventually(() => Promise.resolve(has(events, "add resume-1")), "resume-1 seen");
    // Two watches the server ended (timeoutSeconds=2) after resume-1 was seen, each resumed: waited for, not slept.
    const before = resumed();
    await eventually(() => Promise.resolve(resumed() >= before + 2 ? true : undefined), "two server-side watch timeouts, each resumed", 20_000);
    await createPolicy("resume-2", MANAGED);
    await deletePolicy("resume-1");
    await eventually(() => Promise.resolve(has(events, "delete resume-1")), "the delete after the watch was resumed");
    expect(informer.get("resume-2", ns)).toBeDefined();
    expect(events.filter((e) => e.endsWith(" resume-1"))).toEqual(["add resume-1", "delete resume-1"]);
    expect(informer.listResourceVersion).toBe(listed);
    expect(informer.restarts).toBe(0);
  });
});

describe("createInformer on a server that accepts connections but never answers", () => {
  let server: Server;
  const sockets: Socket[] = [];
  let port = 0;

  beforeAll(async () => {
    server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    port = typeof address === "object" && address ? address.port : 0;
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it("start() returns by its deadline, reports not synced, and keeps restarting with backoff", async () => {
    const hung = new k8s.KubeConfig();
    hung.loadFromClusterAndUser({ name: "hung", server: `http://127.0.0.1:${String(port)}`, skipTLSVerify: true }, { name: "nobody" });
    const informer = createInformer(hung, { name: "hung", path: "/api/v1/namespaces", logger: silentLogger(), startTimeoutMs: 300, restartBackoff: { baseMs: 50, maxMs: 200 } });
    informers.push(informer);
    await informer.start();
    expect(informer.synced()).toBe(false);
    expect(await informer.waitForSync(200)).toBe(false);
    await eventually(() => Promise.resolve(informer.restarts >= 2 ? true : undefined), "repeated restarts", 10_000);
    await informer.stop();
    expect(informer.synced()).toBe(false);
  });
});
