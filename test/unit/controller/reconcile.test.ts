import { describe, expect, it } from "@jest/globals";
import pino from "pino";
import { LABEL_MANAGED_BY, LABEL_PROFILE } from "../../../src/api/constants.js";
import { parseProfile } from "../../../src/api/parse.js";
import type { IsolationProfile, IsolationProfileSpec, IsolationProfileStatus, NamespaceStatus } from "../../../src/api/types.js";
import { DriftContest } from "../../../src/controller/contest.js";
import { InPlaceLedger } from "../../../src/controller/in-place.js";
import { PassMemo } from "../../../src/controller/memo.js";
import { VerdictMemo } from "../../../src/controller/verdicts.js";
import type { PolicyWriter, ProfileWriter, ReadCache, ReadResult, WriteFailure, WriteResult } from "../../../src/controller/ports.js";
import { reconcileProfile, type ReconcileDeps, type ReconcileResult } from "../../../src/controller/reconcile.js";
import type { Namespace, NetworkPolicy, Pod } from "../../../src/k8s/objects.js";
import { renderProfile } from "../../../src/policy/render.js";

/**
 * reconcileProfile against in-memory fakes of its ports: an API server that
 * stores policies (resourceVersions, AlreadyExists, stale-version conflicts,
 * injected failures), caches that show what it stores (or a stale snapshot),
 * and recorders for status, events and heals. Each row: a previous live state
 * and a profile → the writes, the live spec, the status and the heals.
 */

const UID = "uid-p";
const NAME = "p";
const POLICY = `netfence-${NAME}`;

class Store<T extends { metadata: { name: string; namespace?: string } }> implements ReadCache<T> {
  readonly items = new Map<string, T>();
  constructor(private readonly filter: (item: T) => boolean = () => true) {}
  get(name: string, namespace?: string): T | undefined {
    const item = this.items.get(`${namespace ?? ""}/${name}`);
    return item && this.filter(item) ? item : undefined;
  }
  list(): readonly T[] {
    return [...this.items.values()].filter(this.filter);
  }
  byNamespace(namespace: string): readonly T[] {
    return this.list().filter((i) => i.metadata.namespace === namespace);
  }
  put(item: T): void {
    this.items.set(`${item.metadata.namespace ?? ""}/${item.metadata.name}`, item);
  }
}

const fail = (kind: string, retryable: boolean): WriteFailure => ({ ok: false, kind, retryable, namespaceGone: false, message: `${kind} (injected)` });
const key = (p: NetworkPolicy) => `${p.metadata.namespace ?? ""}/${p.metadata.name}`;

/** The API server's NetworkPolicies: what a user would read back with kubectl. */
class FakeApi implements PolicyWriter {
  readonly store = new Store<NetworkPolicy>();
  readonly writes: string[] = [];
  /** verb → failures to return on the next calls of that verb. */
  readonly failures = new Map<string, WriteFailure[]>();
  private version = 100;

  private injected(verb: string): WriteFailure | undefined {
    return this.failures.get(verb)?.shift();
  }

  seed(policy: NetworkPolicy): NetworkPolicy {
    const stored = { ...policy, metadata: { ...policy.metadata, uid: `uid-${key(policy)}`, resourceVersion: String(++this.version) } };
    this.store.put(stored);
    return stored;
  }

  create(policy: NetworkPolicy): Promise<WriteResult> {
    this.writes.push(`create ${key(policy)}`);
    const failure = this.injected("create");
    if (failure) return Promise.resolve(failure);
    if (this.store.get(policy.metadata.name, policy.metadata.namespace)) return Promise.resolve(fail("AlreadyExists", false));
    const stored = this.seed(policy);
    return Promise.resolve({ ok: true, resourceVersion: stored.metadata.resourceVersion ?? "" });
  }

  replace(policy: NetworkPolicy, current: NetworkPolicy): Promise<WriteResult> {
    this.writes.push(`replace ${key(policy)}`);
    const failure = this.injected("replace");
    if (failure) return Promise.resolve(failure);
    const live = this.store.get(policy.metadata.name, policy.metadata.namespace);
    if (!live) return Promise.resolve(fail("NotFound", false));
    if (live.metadata.resourceVersion !== current.metadata.resourceVersion) return Promise.resolve(fail("Conflict", true));
    const labels = { ...live.metadata.labels, ...policy.metadata.labels };
    const annotations = { ...live.metadata.annotations, ...policy.metadata.annotations };
    const resourceVersion = String(++this.version);
    this.store.put({ metadata: { ...live.metadata, labels, annotations, resourceVersion }, spec: policy.spec });
    return Promise.resolve({ ok: true, resourceVersion });
  }

  dryRun(): Promise<WriteResult> {
    return Promise.resolve({ ok: true });
  }

  remove(policy: NetworkPolicy): Promise<WriteResult> {
    this.writes.push(`delete ${key(policy)}`);
    const failure = this.injected("delete");
    if (failure) return Promise.resolve(failure);
    this.store.items.delete(key(policy));
    return Promise.resolve({ ok: true });
  }

  detach(policy: NetworkPolicy): Promise<WriteResult> {
    this.writes.push(`detach ${key(policy)}`);
    const failure = this.injected("detach");
    if (failure) return Promise.resolve(failure);
    const live = this.store.get(policy.metadata.name, policy.metadata.namespace);
    if (live) this.store.put({ ...live, metadata: { ...live.metadata, labels: {}, ownerReferences: [] } });
    return Promise.resolve({ ok: true });
  }

  read(namespace: string, name: string): Promise<ReadResult<NetworkPolicy | undefined>> {
    const failure = this.injected("read");
    return Promise.resolve(failure ?? { ok: true, value: this.store.get(name, namespace) });
  }

  listNamed(name: string): Promise<ReadResult<NetworkPolicy[]>> {
    const failure = this.injected("list");
    return Promise.resolve(failure ?? { ok: true, value: this.store.list().filter((p) => p.metadata.name === name) });
  }
}

interface World {
  api: FakeApi;
  deps: ReconcileDeps;
  profiles: Store<IsolationProfile>;
  namespaces: Store<Namespace>;
  events: string[];
  heals: { count: number };
  status: () => IsolationProfileStatus | undefined;
  /** Status writes that reached the API server, and failures to inject into the next ones. */
  statusWrites: { count: number; failures: WriteFailure[] };
  /** Failures to inject into the next finalizer writes (adding or removing). */
  finalizerFailures: WriteFailure[];
  /** What the reconcile logged at warn or above. */
  warnings: string[];
  /**
   * One pass, with the profile's status written back as the API server would
   * (unless `echo` is false: the cache has not seen the write yet). `rejudge`:
   * the pass the controller runs when only other policies in these namespaces changed.
   */
  pass: (options?: { rejudge?: string[]; echo?: boolean }) => Promise<ReconcileResult>;
}

function profile(spec: Partial<IsolationProfileSpec>, generation = 1, status?: IsolationProfileStatus): IsolationProfile {
  return {
    apiVersion: "netfence.io/v1alpha1",
    kind: "IsolationProfile",
    metadata: { name: NAME, uid: UID, generation, resourceVersion: "1", finalizers: ["netfence.io/cleanup"] },
    spec: { preset: "deny-ingress", namespaces: { names: ["a"] }, ...spec },
    ...(status ? { status } : {}),
  };
}

function world(options: { staleCache?: boolean } = {}): World {
  const api = new FakeApi();
  const cache = new Store<NetworkPolicy>();
  const profiles = new Store<IsolationProfile>();
  const namespaces = new Store<Namespace>();
  for (const name of ["a", "b"]) namespaces.put({ metadata: { name, uid: `uid-${name}`, labels: { "kubernetes.io/metadata.name": name } } });
  const events: string[] = [];
  const heals = { count: 0 };
  let written: IsolationProfileStatus | undefined;
  const statusWrites = { count: 0, failures: [] as WriteFailure[] };
  const finalizerFailures: WriteFailure[] = [];
  const warnings: string[] = [];
  const log = pino({ level: "warn" }, { write: (line: string) => warnings.push((JSON.parse(line) as { msg: string }).msg) });
  const profileWriter: ProfileWriter = {
    writeStatus: (_p, status) => {
      const failure = statusWrites.failures.shift();
      if (failure) return Promise.resolve(failure);
      statusWrites.count++;
      written = status;
      return Promise.resolve({ ok: true });
    },
    setFinalizers: (p, finalizers) => {
      const failure = finalizerFailures.shift();
      if (failure) return Promise.resolve(failure);
      profiles.put({ ...p, metadata: { ...p.metadata, finalizers } });
      return Promise.resolve({ ok: true });
    },
  };
  const deps: ReconcileDeps = {
    profiles,
    namespaces,
    pods: new Store<Pod>(),
    // The informer: every policy; what the server holds now, or (staleCache) a snapshot taken before the pass.
    policies: cache,
    writer: api,
    profileWriter,
    events: { record: (_p, type, reason, message) => events.push(`${type} ${reason}: ${message}`) },
    metrics: { driftHealed: (n) => (heals.count += n), namespaceIsolated: () => undefined, namespaceStates: () => undefined },
    inPlace: new InPlaceLedger(),
    verdicts: new VerdictMemo(),
    render: {},
    writeConcurrency: 4,
    now: () => new Date("2026-12-01T00:00:00Z"),
    log,
  };
  const sync = () => {
    cache.items.clear();
    for (const [k, v] of api.store.items) cache.items.set(k, v);
  };
  return {
    api,
    deps,
    profiles,
    namespaces,
    events,
    heals,
    status: () => written,
    statusWrites,
    finalizerFailures,
    warnings,
    pass: async ({ rejudge, echo = true } = {}) => {
      if (!options.staleCache) sync();
      const result = await reconcileProfile(NAME, deps, rejudge && new Set(rejudge));
      const current = profiles.get(NAME);
      if (current && written && echo) profiles.put({ ...current, status: written });
      sync();
      return result;
    },
  };
}

/** What `netfence render` makes of the profile for namespace `ns`. */
function rendered(p: IsolationProfile, ns = "a"): NetworkPolicy {
  const parsed = parseProfile(p);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const [policy] = renderProfile(parsed.value, [{ metadata: { name: ns, labels: { "kubernetes.io/metadata.name": ns } } }]);
  if (!policy) throw new Error("nothing rendered");
  return policy;
}

/** The live policy in `ns` after netfence had applied profile `p` (the previous pass). */
function writtenBy(p: IsolationProfile, ns = "a"): NetworkPolicy {
  return structuredClone<NetworkPolicy>(rendered(p, ns));
}

const sameNamespace = profile({ preset: "allow-same-namespace" });
const denyIngress = profile({ preset: "deny-ingress" }, 2);
const inPlaceA: IsolationProfileStatus = { namespaces: [{ name: "a", state: "Isolated", policy: POLICY }] };

interface Row {
  /** The live objects before the pass (seeded into the API server). */
  live: NetworkPolicy[];
  profile: IsolationProfile;
  failures?: Record<string, WriteFailure[]>;
  staleCache?: boolean;
  writes: string[];
  state: NamespaceStatus["state"];
  heals: number;
  retry: boolean;
}

const edit = (p: NetworkPolicy, f: (p: NetworkPolicy) => void): NetworkPolicy => {
  const copy = structuredClone<NetworkPolicy>(p);
  f(copy);
  return copy;
};

describe("reconcileProfile: from a previous live state to the rendered spec", () => {
  const deny = profile({ preset: "deny-ingress" }, 1, inPlaceA);
  it.each<[string, Row]>([
    ["a new namespace: the policy is created, no drift", { live: [], profile: profile({}), writes: ["create a/netfence-p"], state: "Isolated", heals: 0, retry: false }],
    ["the policy in place: nothing is written", { live: [writtenBy(deny)], profile: deny, writes: [], state: "Isolated", heals: 0, retry: false }],
    [
      "narrowed from allow-same-namespace to deny-ingress: the allow rule goes, no drift",
      { live: [writtenBy(sameNamespace)], profile: { ...denyIngress, status: inPlaceA }, writes: ["replace a/netfence-p"], state: "Isolated", heals: 0, retry: false },
    ],
    [
      "widened from deny-ingress to allow-same-namespace: the rule comes, no drift",
      { live: [writtenBy(deny)], profile: profile({ preset: "allow-same-namespace" }, 2, inPlaceA), writes: ["replace a/netfence-p"], state: "Isolated", heals: 0, retry: false },
    ],
    [
      "deleted by someone while in place: re-created, one heal",
      { live: [], profile: deny, writes: ["create a/netfence-p"], state: "Isolated", heals: 1, retry: false },
    ],
    [
      "a widening hand edit (ingress: [{}]): replaced, one heal",
      { live: [edit(writtenBy(deny), (p) => (p.spec.ingress = [{}]))], profile: deny, writes: ["replace a/netfence-p"], state: "Isolated", heals: 1, retry: false },
    ],
    [
      "a dropped policyType: replaced, one heal",
      { live: [edit(writtenBy(profile({ preset: "deny-all" })), (p) => (p.spec.policyTypes = ["Ingress"]))], profile: profile({ preset: "deny-all" }, 1, inPlaceA), writes: ["replace a/netfence-p"], state: "Isolated", heals: 1, retry: false },
    ],
    [
      "the managed-by label removed: replaced, one heal",
      { live: [edit(writtenBy(deny), (p) => delete p.metadata.labels?.[LABEL_MANAGED_BY])], profile: deny, writes: ["replace a/netfence-p"], state: "Isolated", heals: 1, retry: false },
    ],
    [
      "the managed-by label removed, not yet in the cache: found on create, replaced, one heal",
      { live: [edit(writtenBy(deny), (p) => delete p.metadata.labels?.[LABEL_MANAGED_BY])], profile: deny, staleCache: true, writes: ["create a/netfence-p", "replace a/netfence-p"], state: "Isolated", heals: 1, retry: false },
    ],
    [
      "the profile label removed: replaced, one heal",
      { live: [edit(writtenBy(deny), (p) => delete p.metadata.labels?.[LABEL_PROFILE])], profile: deny, writes: ["replace a/netfence-p"], state: "Isolated", heals: 1, retry: false },
    ],
    [
      "a user's policy with the generated name: untouched, Conflict",
      { live: [{ metadata: { name: POLICY, namespace: "a", labels: { owner: "alice" } }, spec: { podSelector: {}, policyTypes: ["Egress"] } }], profile: deny, writes: [], state: "Conflict", heals: 0, retry: false },
    ],
    [
      "a failed replace: Pending, retried",
      { live: [writtenBy(sameNamespace)], profile: denyIngress, failures: { replace: [fail("ServerError", true)] }, writes: ["replace a/netfence-p"], state: "Pending", heals: 0, retry: true },
    ],
    [
      "a forbidden create: Failed, and still retried with backoff",
      { live: [], profile: profile({}), failures: { create: [fail("Forbidden", false)] }, writes: ["create a/netfence-p"], state: "Failed", heals: 0, retry: true },
    ],
    [
      "a failed read after AlreadyExists: Pending, retried",
      { live: [edit(writtenBy(deny), (p) => delete p.metadata.labels?.[LABEL_MANAGED_BY])], profile: deny, staleCache: true, failures: { read: [fail("ServerError", true)] }, writes: ["create a/netfence-p"], state: "Pending", heals: 0, retry: true },
    ],
    [
      "a stale cache (changed since): the conflict is read back and the replace repeated",
      { live: [writtenBy(sameNamespace)], profile: denyIngress, staleCache: true, writes: ["create a/netfence-p", "replace a/netfence-p"], state: "Isolated", heals: 0, retry: false },
    ],
  ])("%s", async (_name, row) => {
    const w = world({ staleCache: row.staleCache });
    for (const p of row.live) w.api.seed(p);
    for (const [verb, list] of Object.entries(row.failures ?? {})) w.api.failures.set(verb, [...list]);
    w.profiles.put(row.profile);
    const result = await w.pass();

    expect(w.api.writes).toEqual(row.writes);
    expect(w.status()?.namespaces?.find((n) => n.name === "a")?.state).toBe(row.state);
    expect(w.heals.count).toBe(row.heals);
    expect(w.events.filter((e) => e.includes("DriftHealed"))).toHaveLength(row.heals ? 1 : 0);
    expect(Boolean(result.retry)).toBe(row.retry);
    const live = w.api.store.get(POLICY, "a");
    if (row.state === "Isolated") {
      expect(live?.spec).toEqual(rendered(row.profile).spec);
      expect(live?.metadata.labels).toMatchObject({ [LABEL_MANAGED_BY]: "netfence", [LABEL_PROFILE]: NAME });
      expect(w.status()?.conditions?.find((c) => c.type === "Ready")).toMatchObject({ status: "True", observedGeneration: row.profile.metadata.generation });
      expect(w.status()?.conditions?.find((c) => c.type === "Degraded")).toMatchObject({ status: "False" });
    }
    if (row.state === "Conflict") expect(live?.metadata.labels).toEqual({ owner: "alice" });
  });
});

describe("reconcileProfile: effective isolation", () => {
  const allowAll: NetworkPolicy = { metadata: { name: "allow-all", namespace: "a" }, spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{}] } };
  const sameNs: NetworkPolicy = { metadata: { name: "same-ns", namespace: "a" }, spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: {} }] }] } };

  it("a namespace is judged with its own labels, and judged again when they change (the render remembered, as in the operator)", async () => {
    const w = world();
    w.deps.memo = new PassMemo();
    w.namespaces.put({ metadata: { name: "a", uid: "uid-a", labels: { "kubernetes.io/metadata.name": "a", team: "a" } } });
    w.profiles.put(profile({ preset: "allow-by-label", allowedPeers: [{ namespaceSelector: { matchLabels: { team: "a" } } }] }));
    w.api.seed(sameNs);
    await w.pass();
    const a = () => w.status()?.namespaces?.find((n) => n.name === "a");
    // a's own pods carry team=a through their namespace: the profile admits them already.
    expect(a()?.state).toBe("Isolated");
    await w.pass();
    expect(a()?.state).toBe("Isolated");

    w.namespaces.put({ metadata: { name: "a", uid: "uid-a", labels: { "kubernetes.io/metadata.name": "a", team: "b" } } });
    await w.pass();
    expect({ state: a()?.state, by: a()?.bypassedBy }).toEqual({ state: "Bypassed", by: ["a/same-ns ingress[0]: any pod in namespace a, any port"] });
  });

  it("a tenant's allow-all makes the namespace Bypassed, naming it, with one event per transition", async () => {
    const w = world();
    w.profiles.put(profile({}));
    await w.pass();
    expect(w.status()?.conditions?.find((c) => c.type === "Isolated")).toMatchObject({ status: "True", reason: "Isolated" });

    w.api.seed(allowAll);
    await w.pass();
    const entry = w.status()?.namespaces?.find((n) => n.name === "a");
    expect(entry?.state).toBe("Bypassed");
    expect(entry?.bypassedBy).toEqual(["a/allow-all ingress[0]: any pod in any namespace and any address, any port"]);
    expect(w.status()).toMatchObject({ selectedNamespaces: 1, isolatedNamespaces: 0, bypassedNamespaces: 1 });
    expect(w.status()?.conditions?.find((c) => c.type === "Isolated")).toMatchObject({ status: "False", reason: "Bypassed" });
    expect(w.status()?.conditions?.find((c) => c.type === "Ready")).toMatchObject({ status: "True" });
    await w.pass();
    expect(w.events.filter((e) => e.includes(" Bypassed:"))).toHaveLength(1);

    w.api.store.items.delete("a/allow-all");
    await w.pass();
    expect(w.status()?.namespaces?.find((n) => n.name === "a")?.state).toBe("Isolated");
    expect(w.status()?.conditions?.find((c) => c.type === "Isolated")).toMatchObject({ status: "True" });
    await w.pass();
    expect(w.events.filter((e) => e.includes("BypassCleared"))).toHaveLength(1);
    expect(w.api.writes).toEqual(["create a/netfence-p"]);
  });

  describe("after a restart, with status.namespaces listing one entry of two", () => {
    const allowAllIn = (ns: string): NetworkPolicy => ({ ...allowAll, metadata: { name: "allow-all", namespace: ns } });
    const bypassedEvents = (w: World) => w.events.filter((e) => e.includes(" Bypassed:"));

    /** a and b selected, `before` bypassed, then a new process (empty ledger) with `during` bypassed too. */
    async function restarted(before: string[], during: string[]): Promise<World> {
      const w = world();
      w.deps.statusNamespaces = 1;
      w.profiles.put(profile({ namespaces: { names: ["a", "b"] } }));
      for (const ns of before) w.api.seed(allowAllIn(ns));
      await w.pass();
      expect(w.status()).toMatchObject({ bypassedNamespaces: before.length, namespaces: [{ name: before[0] ?? "a" }] });
      w.events.length = 0;
      w.deps.inPlace = new InPlaceLedger();
      w.deps.verdicts = new VerdictMemo();
      for (const ns of during) w.api.seed(allowAllIn(ns));
      await w.pass();
      await w.pass();
      return w;
    }

    it("a namespace bypassed while no operator ran is a transition when the status listed every bypassed one", async () => {
      const w = await restarted(["a"], ["b"]);
      expect(bypassedEvents(w)).toEqual(["Warning Bypassed: Other NetworkPolicies admit more than the profile — namespace b is bypassed: b/allow-all ingress[0]: any pod in any namespace and any address, any port"]);
    });

    it("the listed bypassed namespace gets no second event", async () => {
      const w = await restarted(["a"], []);
      expect(bypassedEvents(w)).toEqual([]);
    });

    it("an unlisted namespace that may have been bypassed before is reported once as such, not as a transition", async () => {
      const w = await restarted(["a", "b"], []);
      expect(bypassedEvents(w)).toEqual(["Warning Bypassed: Other NetworkPolicies admit more than the profile in 1 namespace the status did not list when this operator started (bypassed before, or since): b"]);
      expect(w.events.filter((e) => e.includes("BypassCleared"))).toEqual([]);
    });
  });

  it("a same-namespace allowance is no bypass under allow-same-namespace, and is one under deny-ingress", async () => {
    const w = world();
    w.api.seed(sameNs);
    w.profiles.put(profile({ preset: "allow-same-namespace" }));
    await w.pass();
    expect(w.status()?.namespaces?.find((n) => n.name === "a")?.state).toBe("Isolated");
    w.profiles.put({ ...profile({ preset: "deny-ingress" }, 2), status: w.status() });
    await w.pass();
    expect(w.status()?.namespaces?.find((n) => n.name === "a")?.state).toBe("Bypassed");
  });
});

describe("reconcileProfile: another policy's change re-judges its namespace only", () => {
  const allowAll = (ns: string): NetworkPolicy => ({ metadata: { name: "allow-all", namespace: ns }, spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{}] } });
  const both = (generation = 1) => profile({ namespaces: { names: ["a", "b"] } }, generation);
  const state = (w: World, ns: string) => w.status()?.namespaces?.find((n) => n.name === ns)?.state;

  /** A world after one clean full pass: a and b Isolated, their policies created. */
  async function settled(): Promise<World> {
    const w = world();
    w.profiles.put(both());
    await w.pass();
    expect([state(w, "a"), state(w, "b")]).toEqual(["Isolated", "Isolated"]);
    return w;
  }

  it("judges the named namespace again and nothing else: no policy is read or written, one status write, one event each way", async () => {
    const w = await settled();
    const writes = [...w.api.writes];
    w.api.seed(allowAll("a"));
    // b's tenant policy appeared too, but only a was named: b is left as the last pass judged it.
    w.api.seed(allowAll("b"));
    await w.pass({ rejudge: ["a"] });
    expect([state(w, "a"), state(w, "b")]).toEqual(["Bypassed", "Isolated"]);
    expect(w.status()).toMatchObject({ selectedNamespaces: 2, isolatedNamespaces: 1, bypassedNamespaces: 1 });
    expect(w.status()?.conditions?.find((c) => c.type === "Isolated")).toMatchObject({ status: "False", reason: "Bypassed" });
    expect(w.events.filter((e) => e.includes(" Bypassed:"))).toEqual(["Warning Bypassed: Other NetworkPolicies admit more than the profile — namespace a is bypassed: a/allow-all ingress[0]: any pod in any namespace and any address, any port"]);

    // Nothing changed for a: no status write.
    const count = w.statusWrites.count;
    await w.pass({ rejudge: ["a"] });
    expect(w.statusWrites.count).toBe(count);

    w.api.store.items.delete("a/allow-all");
    w.api.store.items.delete("b/allow-all");
    await w.pass({ rejudge: ["a", "b"] });
    expect([state(w, "a"), state(w, "b")]).toEqual(["Isolated", "Isolated"]);
    expect(w.status()?.conditions?.find((c) => c.type === "Isolated")).toMatchObject({ status: "True" });
    expect(w.events.filter((e) => e.includes("BypassCleared"))).toHaveLength(1);
    expect(w.api.writes).toEqual(writes);
  });

  it("the pods of a namespace that turns Bypassed leave isolatedPods, and come back with it", async () => {
    const w = world();
    const pods = w.deps.pods as unknown as { put(p: Pod): void };
    for (const [ns, name] of [["a", "p1"], ["a", "p2"], ["b", "p3"]] as const) pods.put({ metadata: { name, namespace: ns, labels: {} } });
    w.profiles.put(both());
    await w.pass();
    expect(w.status()?.isolatedPods).toBe(3);
    w.api.seed(allowAll("a"));
    await w.pass({ rejudge: ["a"] });
    expect(w.status()?.isolatedPods).toBe(1);
    w.api.store.items.delete("a/allow-all");
    await w.pass({ rejudge: ["a"] });
    expect(w.status()?.isolatedPods).toBe(3);
  });

  it.each<[string, (w: World) => void]>([
    ["the generation moved", (w) => w.profiles.put({ ...both(2), status: w.status() })],
    ["the profile was never reconciled by this process (a restart)", (w) => (w.deps.inPlace = new InPlaceLedger())],
    ["the namespace was deleted and created again under its name", (w) => w.namespaces.put({ metadata: { name: "a", uid: "uid-a-2", labels: { "kubernetes.io/metadata.name": "a" } } })],
  ])("runs a full pass instead when %s: the deleted policy is created again", async (_name, change) => {
    const w = await settled();
    w.api.store.items.delete(`a/${POLICY}`);
    change(w);
    await w.pass({ rejudge: ["a"] });
    expect(w.api.store.get(POLICY, "a")?.spec).toEqual(rendered(both(), "a").spec);
  });

  it("runs a full pass after a pass that left something to retry", async () => {
    const w = world();
    w.api.failures.set("create", [fail("ServerError", true)]);
    w.profiles.put(both());
    expect((await w.pass()).retry).toBe(true);
    expect(w.api.store.get(POLICY, "a") ?? w.api.store.get(POLICY, "b")).toBeDefined();
    await w.pass({ rejudge: ["a"] });
    expect([state(w, "a"), state(w, "b")]).toEqual(["Isolated", "Isolated"]);
    expect(w.api.store.get(POLICY, "a") && w.api.store.get(POLICY, "b")).toBeDefined();
  });

  it("a failed status write is retried, and the next pass is a full one", async () => {
    const w = await settled();
    w.api.seed(allowAll("a"));
    w.statusWrites.failures.push(fail("ServerError", true));
    expect((await w.pass({ rejudge: ["a"] })).retry).toBe(true);
    expect(state(w, "a")).toBe("Isolated");
    w.api.store.items.delete(`b/${POLICY}`);
    await w.pass({ rejudge: ["a"] });
    expect(state(w, "a")).toBe("Bypassed");
    expect(w.api.store.get(POLICY, "b")).toBeDefined();
  });

  it("writes a status the cache already shows when its own last write said otherwise (the cache is behind)", async () => {
    const w = await settled();
    w.api.seed(allowAll("a"));
    // The Bypassed status is written; the cache still shows the Isolated one.
    await w.pass({ rejudge: ["a"], echo: false });
    expect(state(w, "a")).toBe("Bypassed");
    w.api.store.items.delete("a/allow-all");
    await w.pass({ rejudge: ["a"] });
    expect(state(w, "a")).toBe("Isolated");
  });
});

describe("reconcileProfile: netfence's own deletes are never drift", () => {
  it("deselect, then select again: deleted, then created, no heal", async () => {
    const w = world();
    w.profiles.put(profile({ namespaces: { names: ["a", "b"] } }));
    await w.pass();
    w.profiles.put({ ...profile({ namespaces: { names: ["b"] } }, 2), status: w.status() });
    await w.pass();
    expect(w.api.store.get(POLICY, "a")).toBeUndefined();
    w.profiles.put({ ...profile({ namespaces: { names: ["a", "b"] } }, 3), status: w.status() });
    await w.pass();
    expect(w.api.writes).toEqual(["create a/netfence-p", "create b/netfence-p", "delete a/netfence-p", "create a/netfence-p"]);
    expect(w.heals.count).toBe(0);
    expect(w.events.filter((e) => e.includes("DriftHealed"))).toEqual([]);
  });

  it("a namespace deleted and created again under the same name is not drift", async () => {
    const w = world();
    w.profiles.put(profile({}));
    await w.pass();
    w.api.store.items.delete(`a/${POLICY}`);
    w.namespaces.put({ metadata: { name: "a", uid: "uid-a-2", labels: { "kubernetes.io/metadata.name": "a" } } });
    await w.pass();
    expect(w.heals.count).toBe(0);
    expect(w.api.store.get(POLICY, "a")).toBeDefined();
  });

  it("after a restart the written status says what was in place: a deleted policy is one heal", async () => {
    const w = world();
    w.profiles.put(profile({}, 1, inPlaceA));
    await w.pass();
    expect(w.heals.count).toBe(1);
    expect(w.events).toContain("Normal DriftHealed: Restored NetworkPolicy a/netfence-p: deleted outside netfence");
  });
});

describe("reconcileProfile: another client keeps deleting the policy", () => {
  it("heals twice at once, then holds back with the namespace Contested, and is Isolated again after 20 s of quiet", async () => {
    const w = world();
    let clock = 0;
    w.deps.contest = new DriftContest({ now: () => clock });
    // How each heal is recorded: as a transition, which the recorder aggregates on one Event (count, last time).
    const healsAsTransition: boolean[] = [];
    const recorder = w.deps.events;
    w.deps.events = {
      record: (p, type, reason, message, options) => {
        if (reason === "DriftHealed") healsAsTransition.push(options?.transition === true);
        recorder.record(p, type, reason, message, options);
      },
    };
    w.profiles.put(profile({}));
    await w.pass();
    const state = () => w.status()?.namespaces?.find((n) => n.name === "a")?.state;
    const degraded = () => w.status()?.conditions?.find((c) => c.type === "Degraded");
    const undo = () => {
      clock += 100;
      w.api.store.items.delete(`a/${POLICY}`);
    };

    undo();
    await w.pass();
    undo();
    await w.pass();
    expect({ heals: w.heals.count, state: state() }).toEqual({ heals: 2, state: "Isolated" });

    undo();
    const held = await w.pass();
    expect(held).toEqual({ requeueAfterMs: 900 });
    expect(w.api.store.get(POLICY, "a")).toBeUndefined();
    expect({ heals: w.heals.count, state: state() }).toEqual({ heals: 2, state: "Contested" });
    expect(degraded()).toMatchObject({ status: "True", reason: "Contested" });

    clock += 900;
    const healed = await w.pass();
    expect(w.api.store.get(POLICY, "a")?.spec).toEqual(rendered(profile({})).spec);
    expect({ heals: w.heals.count, state: state() }).toEqual({ heals: 3, state: "Contested" });
    expect(healed).toEqual({ requeueAfterMs: 20_010 });

    clock += 20_000;
    await w.pass();
    expect(state()).toBe("Isolated");
    expect(degraded()).toMatchObject({ status: "False" });
    expect(w.events.filter((e) => e.includes("DriftHealed"))).toHaveLength(3);
    expect(healsAsTransition).toEqual([true, true, true]);
  });
});

describe("reconcileProfile: a profile created again under its name", () => {
  it("starts afresh when only a relist shows the new uid (no delete event, nothing forgotten): the policy is created for the new owner, not counted as drift", async () => {
    const w = world();
    w.profiles.put(profile({}));
    await w.pass();
    expect(w.api.store.get(POLICY, "a")?.metadata.ownerReferences?.[0]?.uid).toBe(UID);

    // The old profile is gone and the garbage collector took its policy; the cache holds the new object under the same name.
    w.api.store.items.delete(`a/${POLICY}`);
    const again = profile({});
    w.profiles.put({ ...again, metadata: { ...again.metadata, uid: "uid-p2" } });
    await w.pass();
    expect({ owner: w.api.store.get(POLICY, "a")?.metadata.ownerReferences?.[0]?.uid, heals: w.heals.count, events: w.events.filter((e) => e.includes("DriftHealed")) }).toEqual({ owner: "uid-p2", heals: 0, events: [] });
  });
});

describe("reconcileProfile: failed deletes are shown and retried", () => {
  it("lists a namespace whose stale policy could not be deleted, and clears it once deleted", async () => {
    const w = world();
    w.profiles.put(profile({ namespaces: { names: ["a", "b"] } }));
    await w.pass();
    w.api.failures.set("delete", [fail("ServerError", true)]);
    w.profiles.put({ ...profile({ namespaces: { names: ["b"] } }, 2), status: w.status() });
    const failed = await w.pass();
    expect(failed.retry).toBe(true);
    expect(w.status()?.selectedNamespaces).toBe(1);
    expect(w.status()?.namespaces?.[0]).toMatchObject({ name: "a", state: "Pending" });
    expect(w.status()?.conditions?.find((c) => c.type === "Ready")?.status).toBe("False");
    const retried = await w.pass();
    expect(retried.retry).toBe(false);
    expect(w.api.store.get(POLICY, "a")).toBeUndefined();
    expect(w.status()?.namespaces).toEqual([{ name: "b", state: "Isolated", policy: POLICY }]);
  });
});

describe("reconcileProfile: finalize", () => {
  it("orphans a policy the cache has not seen yet (listed from the API server)", async () => {
    const w = world({ staleCache: true });
    w.api.seed(writtenBy(profile({})));
    const deleting = { ...profile({ deletionPolicy: "Orphan" }), metadata: { ...profile({}).metadata, deletionTimestamp: "2026-12-01T00:00:00Z" } };
    w.profiles.put(deleting);
    await w.pass();
    expect(w.api.writes).toEqual(["detach a/netfence-p"]);
    expect(w.profiles.get(NAME)?.metadata.finalizers).toEqual([]);
  });
});

describe("reconcileProfile: a failed finalizer write or cleanup is logged once, shown in status and retried", () => {
  const deleting = (spec: Partial<IsolationProfileSpec> = {}): IsolationProfile => {
    const p = profile(spec, 1, inPlaceA);
    return { ...p, metadata: { ...p.metadata, deletionTimestamp: "2026-12-01T00:00:00Z" } };
  };
  const unfinalized = (): IsolationProfile => {
    const p = profile({});
    return { ...p, metadata: { ...p.metadata, finalizers: [] } };
  };

  interface FailureRow {
    profile: IsolationProfile;
    live: NetworkPolicy[];
    failures?: Record<string, WriteFailure[]>;
    finalizerFailures?: WriteFailure[];
    writes: string[];
    /** The Ready and Degraded reason after the failing pass (undefined: no status written). */
    reason?: string;
    message?: string;
    warnings: number;
    retry: boolean;
    /** After the next pass, with nothing injected: the finalizers and the live policy in a. */
    then: { finalizers: string[]; policy: "present" | "absent" | "detached" };
  }

  it.each<[string, FailureRow]>([
    [
      "adding the finalizer is Forbidden: nothing is enforced, FinalizerFailed names the operation",
      {
        profile: unfinalized(),
        live: [],
        finalizerFailures: [fail("Forbidden", false)],
        writes: [],
        reason: "FinalizerFailed",
        message: "adding the finalizer netfence.io/cleanup failed (Forbidden (injected)); nothing is enforced until it is in place; retrying with backoff",
        warnings: 1,
        retry: true,
        then: { finalizers: ["netfence.io/cleanup"], policy: "present" },
      },
    ],
    [
      "adding the finalizer fails with a server error: the same, retried",
      { profile: unfinalized(), live: [], finalizerFailures: [fail("ServerError", true)], writes: [], reason: "FinalizerFailed", message: "adding the finalizer", warnings: 1, retry: true, then: { finalizers: ["netfence.io/cleanup"], policy: "present" } },
    ],
    [
      "adding the finalizer hits a Conflict (the cache is behind): retried on a fresher object, no failure shown",
      { profile: unfinalized(), live: [], finalizerFailures: [fail("Conflict", true)], writes: [], warnings: 0, retry: true, then: { finalizers: ["netfence.io/cleanup"], policy: "present" } },
    ],
    [
      "deleting: listing the policies fails: CleanupFailed, the finalizer stays",
      {
        profile: deleting(),
        live: [writtenBy(profile({}))],
        failures: { list: [fail("ServerError", true)] },
        writes: [],
        reason: "CleanupFailed",
        message: "listing the profile's NetworkPolicies to delete failed (ServerError (injected)); the profile is removed once that succeeds; retrying with backoff",
        warnings: 1,
        retry: true,
        then: { finalizers: [], policy: "absent" },
      },
    ],
    [
      "deleting: a delete fails: CleanupFailed names the namespace, the finalizer stays",
      {
        profile: deleting(),
        live: [writtenBy(profile({}))],
        failures: { delete: [fail("ServerError", true)] },
        writes: ["delete a/netfence-p"],
        reason: "CleanupFailed",
        message: "deleting NetworkPolicy netfence-p failed in a (ServerError (injected)); the profile is removed once that succeeds; retrying with backoff",
        warnings: 1,
        retry: true,
        then: { finalizers: [], policy: "absent" },
      },
    ],
    [
      "deleting with Orphan: a detach is Forbidden: CleanupFailed names the namespace, the finalizer stays",
      {
        profile: deleting({ deletionPolicy: "Orphan" }),
        live: [writtenBy(profile({}))],
        failures: { detach: [fail("Forbidden", false)] },
        writes: ["detach a/netfence-p"],
        reason: "CleanupFailed",
        message: "detaching NetworkPolicy netfence-p failed in a (Forbidden (injected))",
        warnings: 1,
        retry: true,
        then: { finalizers: [], policy: "detached" },
      },
    ],
    [
      "deleting: removing the finalizer is Forbidden once the policies are gone: FinalizerFailed, retried",
      {
        profile: deleting(),
        live: [writtenBy(profile({}))],
        finalizerFailures: [fail("Forbidden", false)],
        writes: ["delete a/netfence-p"],
        reason: "FinalizerFailed",
        message: "removing the finalizer netfence.io/cleanup failed (Forbidden (injected)); the profile's NetworkPolicies are cleaned up and the profile stays until it succeeds; retrying with backoff",
        warnings: 1,
        retry: true,
        then: { finalizers: [], policy: "absent" },
      },
    ],
    [
      "deleting: removing the finalizer finds the profile gone: done, nothing to show",
      { profile: deleting(), live: [], finalizerFailures: [fail("NotFound", false)], writes: [], warnings: 0, retry: false, then: { finalizers: [], policy: "absent" } },
    ],
  ])("%s", async (_name, row) => {
    const w = world();
    for (const p of row.live) w.api.seed(p);
    for (const [verb, list] of Object.entries(row.failures ?? {})) w.api.failures.set(verb, [...list]);
    w.finalizerFailures.push(...(row.finalizerFailures ?? []));
    w.profiles.put(row.profile);

    const result = await w.pass();
    expect(w.api.writes).toEqual(row.writes);
    expect(Boolean(result.retry)).toBe(row.retry);
    expect(w.warnings).toHaveLength(row.warnings);
    const conditions = w.status()?.conditions ?? [];
    if (row.reason === undefined) {
      expect(conditions).toEqual([]);
    } else {
      expect(conditions.find((c) => c.type === "Ready")).toMatchObject({ status: "False", reason: row.reason, message: expect.stringContaining(row.message ?? "") });
      expect(conditions.find((c) => c.type === "Degraded")).toMatchObject({ status: "True", reason: row.reason });
    }

    // The retry, with nothing failing any more, gets through.
    await w.pass();
    expect(w.profiles.get(NAME)?.metadata.finalizers).toEqual(row.then.finalizers);
    const live = w.api.store.get(POLICY, "a");
    const policy = live === undefined ? "absent" : live.metadata.labels?.[LABEL_MANAGED_BY] === "netfence" ? "present" : "detached";
    expect(policy).toBe(row.then.policy);
    if (!row.profile.metadata.deletionTimestamp) expect(w.status()?.conditions?.find((c) => c.type === "Ready")).toMatchObject({ status: "True", reason: "Reconciled" });
  });

  it("a failed write of a NetworkPolicy is logged once per pass, naming the namespaces", async () => {
    const w = world();
    w.api.failures.set("create", [fail("Forbidden", false), fail("Forbidden", false)]);
    w.profiles.put(profile({ namespaces: { names: ["a", "b"] } }));
    expect((await w.pass()).retry).toBe(true);
    expect(w.warnings).toEqual(["Could not write NetworkPolicies; retrying"]);
    expect(w.status()?.conditions?.find((c) => c.type === "Degraded")).toMatchObject({ status: "True", reason: "ApplyFailed", message: "writing failed in a, b; retrying with backoff" });
  });
});

describe("reconcileProfile: tenant input cannot fool ownership or drift", () => {
  const COPIED = { [LABEL_MANAGED_BY]: "netfence", [LABEL_PROFILE]: NAME };
  const impostor = (ns: string): NetworkPolicy => ({ metadata: { name: "looks-generated", namespace: ns, labels: COPIED, ownerReferences: [{ apiVersion: "netfence.io/v1alpha1", kind: "IsolationProfile", name: NAME, uid: UID, controller: true }] }, spec: { podSelector: {}, ingress: [{}] } });
  const deleting = (spec: Partial<IsolationProfileSpec>): IsolationProfile => ({ ...profile(spec), metadata: { ...profile(spec).metadata, deletionTimestamp: "2026-12-01T00:00:00Z" } });

  it("Orphan detaches a policy whose netfence labels were removed (found by its name and owner uid), and leaves a copy under another name alone", async () => {
    const w = world();
    w.api.seed(edit(writtenBy(profile({})), (p) => (p.metadata.labels = {})));
    w.api.seed(impostor("a"));
    w.profiles.put(deleting({ deletionPolicy: "Orphan" }));
    await w.pass();
    expect(w.api.writes).toEqual(["detach a/netfence-p"]);
    expect(w.api.store.get(POLICY, "a")?.metadata.ownerReferences).toEqual([]);
  });

  it("Delete removes only the profile's own object, never a policy that copied its labels and owner", async () => {
    const w = world();
    w.api.seed(writtenBy(profile({})));
    w.api.seed(impostor("b"));
    w.profiles.put(deleting({}));
    await w.pass();
    expect(w.api.writes).toEqual(["delete a/netfence-p"]);
    expect(w.api.store.get("looks-generated", "b")).toBeDefined();
  });

  it("a copied-label policy in a namespace no longer selected is not deleted as the profile's", async () => {
    const w = world();
    w.profiles.put(profile({ namespaces: { names: ["a"] } }));
    w.api.seed(impostor("b"));
    await w.pass();
    expect(w.api.writes).toEqual(["create a/netfence-p"]);
  });

  it("a tenant policy with copied labels in a selected namespace makes it Bypassed, named", async () => {
    const w = world();
    w.profiles.put(profile({}));
    w.api.seed(impostor("a"));
    await w.pass();
    const entry = w.status()?.namespaces?.find((n) => n.name === "a");
    expect(entry?.state).toBe("Bypassed");
    expect(entry?.bypassedBy?.[0]).toMatch(/^a\/looks-generated ingress\[0\]/);
  });

  it("re-applying an object netfence wrote for an earlier generation (its stamp still valid) is drift: counted, an event, restored", async () => {
    const w = world();
    const first = profile({ preset: "deny-ingress" });
    w.profiles.put(first);
    await w.pass();
    const second = { ...profile({ preset: "allow-same-namespace" }, 2), status: w.status() };
    w.profiles.put(second);
    await w.pass();
    expect(w.heals.count).toBe(0);
    // A backup restore or a GitOps tool that captured the first object puts it back.
    const old = w.api.store.get(POLICY, "a");
    if (!old) throw new Error("no policy");
    w.api.store.put({ ...writtenBy(first), metadata: { ...old.metadata, annotations: writtenBy(first).metadata.annotations, resourceVersion: "999" } });
    await w.pass();
    expect(w.heals.count).toBe(1);
    expect(w.events.filter((e) => e.includes("DriftHealed"))).toHaveLength(1);
    expect(w.api.store.get(POLICY, "a")?.spec).toEqual(rendered(second).spec);
  });

  it("a profile change rewrites netfence's own object without counting drift", async () => {
    const w = world();
    w.profiles.put(profile({ preset: "deny-ingress" }));
    await w.pass();
    w.profiles.put({ ...profile({ preset: "allow-same-namespace" }, 2), status: w.status() });
    await w.pass();
    expect({ heals: w.heals.count, writes: w.api.writes }).toEqual({ heals: 0, writes: ["create a/netfence-p", "replace a/netfence-p"] });
  });
});

describe("reconcileProfile: a contested namespace is described as in place", () => {
  it("the Isolated condition says the policy is contested, not that it is missing", async () => {
    const w = world();
    let clock = 0;
    w.deps.contest = new DriftContest({ now: () => clock });
    w.profiles.put(profile({}));
    await w.pass();
    for (let i = 0; i < 3; i++) {
      clock += 100;
      w.api.store.items.delete(`a/${POLICY}`);
      await w.pass();
    }
    const isolated = w.status()?.conditions?.find((c) => c.type === "Isolated");
    expect(isolated).toMatchObject({ status: "False", reason: "Contested" });
    expect(isolated?.message).not.toMatch(/do not have the profile's policy in place/);
  });
});

