import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import { LeaderElector, type StopReason } from "../../src/io/leader.js";
import { silentLogger } from "../../src/observability/logger.js";
import { eventually, kubeConfig, uniqueName } from "./helpers.js";

/**
 * Leader election on a real Lease: one leader at a time, fast hand-over on
 * release, takeover after expiry when the leader vanishes, and a leader that
 * sees another holder stops leading. Short durations (3 s / 2 s / 0.5 s).
 */
const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const coordination = kc.makeApiClient(k8s.CoordinationV1Api);
const ns = uniqueName("leader");

interface Candidate {
  elector: LeaderElector;
  identity: string;
  stops: StopReason[];
  done: Promise<StopReason>;
}

let running: Candidate[] = [];

function candidate(lease: string, identity: string): Candidate {
  const stops: StopReason[] = [];
  const elector = new LeaderElector(kc, {
    namespace: ns,
    name: lease,
    identity,
    leaseDurationMs: 3000,
    renewDeadlineMs: 2000,
    retryPeriodMs: 500,
    logger: silentLogger(),
    onStartedLeading: () => undefined,
    onStoppedLeading: (reason) => stops.push(reason),
  });
  const c = { elector, identity, stops, done: elector.run() };
  running.push(c);
  return c;
}

const leaders = (cs: Candidate[]) => cs.filter((c) => c.elector.isLeader());
const readLease = (name: string) => coordination.readNamespacedLease({ name, namespace: ns });

async function oneLeader(cs: Candidate[]): Promise<Candidate> {
  return eventually(() => Promise.resolve(leaders(cs).length === 1 ? leaders(cs)[0] : undefined), "exactly one leader", 10_000);
}

beforeAll(async () => {
  await core.createNamespace({ body: Object.assign(new k8s.V1Namespace(), { metadata: Object.assign(new k8s.V1ObjectMeta(), { name: ns }) }) });
});

afterEach(async () => {
  for (const c of running) c.elector.stop();
  await Promise.all(running.map((c) => c.done));
  running = [];
});

afterAll(async () => {
  await core.deleteNamespace({ name: ns }).catch(() => undefined);
});

describe("LeaderElector on a real Lease", () => {
  it("elects exactly one of two candidates and records it on the Lease with microsecond times", async () => {
    const lease = uniqueName("lease");
    const cs = [candidate(lease, "a"), candidate(lease, "b")];
    const leader = await oneLeader(cs);
    // Not a fixed sleep: the leader renews twice more (several polls of the standby, which has seen the holder).
    const first = String((await readLease(lease)).spec?.renewTime);
    const renewals = new Set([first]);
    await eventually(async () => {
      renewals.add(String((await readLease(lease)).spec?.renewTime));
      return renewals.size >= 3 && cs.every((c) => c.elector.leader() === leader.identity) ? true : undefined;
    }, "two renewals of the lease, seen by both candidates", 10_000, 100);
    expect(leaders(cs)).toEqual([leader]);
    const stored = await readLease(lease);
    expect(stored.spec?.holderIdentity).toBe(leader.identity);
    expect(stored.spec?.leaseDurationSeconds).toBe(3);
    expect(String(stored.spec?.renewTime)).toMatch(/\.\d{6}Z$/);
    expect(String(stored.spec?.acquireTime)).toMatch(/\.\d{6}Z$/);
    expect(cs.every((c) => c.elector.leader() === leader.identity)).toBe(true);
  });

  it("hands over within 3 s when the leader releases", async () => {
    const lease = uniqueName("lease");
    const cs = [candidate(lease, "a"), candidate(lease, "b")];
    const leader = await oneLeader(cs);
    const standby = cs.find((c) => c !== leader)!;
    await leader.elector.release();
    expect(leader.elector.isLeader()).toBe(false);
    expect(await leader.done).toBe("released");
    expect(leader.stops).toEqual(["released"]);
    await eventually(() => Promise.resolve(standby.elector.isLeader() ? true : undefined), "the standby leading", 3000);
    const stored = await readLease(lease);
    expect(stored.spec?.holderIdentity).toBe(standby.identity);
    expect(stored.spec?.leaseTransitions).toBeGreaterThanOrEqual(1);
  });

  it("replaces a leader that stopped without releasing once the lease expires", async () => {
    const lease = uniqueName("lease");
    const cs = [candidate(lease, "a"), candidate(lease, "b")];
    const leader = await oneLeader(cs);
    const standby = cs.find((c) => c !== leader)!;
    leader.elector.stop();
    expect(await leader.done).toBe("stopped");
    // The leader writes no more: its last renewal is on the Lease.
    const last = (await readLease(lease)).spec;
    expect(last?.holderIdentity).toBe(leader.identity);
    expect(standby.elector.isLeader()).toBe(false);
    await eventually(() => Promise.resolve(standby.elector.isLeader() ? true : undefined), "the standby leading after expiry", 10_000);
    const taken = (await readLease(lease)).spec;
    expect(taken?.holderIdentity).toBe(standby.identity);
    // Not before the lease expired: the standby took it about the lease duration (3 s) after the last renewal
    // (observed-time expiry counts from the standby's poll that saw it, which may have begun a request's time earlier).
    const waited = new Date(String(taken?.acquireTime)).getTime() - new Date(String(last?.renewTime)).getTime();
    expect(waited).toBeGreaterThanOrEqual(2500);
  });

  it("stops leading (lost) when another holder takes the Lease", async () => {
    const lease = uniqueName("lease");
    const c = candidate(lease, "solo");
    await oneLeader([c]);
    const current = await readLease(lease);
    const spec = Object.assign(new k8s.V1LeaseSpec(), { holderIdentity: "intruder", leaseDurationSeconds: 30, renewTime: new k8s.V1MicroTime(), acquireTime: new k8s.V1MicroTime() });
    await coordination.replaceNamespacedLease({ name: lease, namespace: ns, body: Object.assign(new k8s.V1Lease(), { metadata: current.metadata, spec }) });
    expect(await c.done).toBe("lost");
    expect(c.stops).toEqual(["lost"]);
    expect(c.elector.isLeader()).toBe(false);
    expect((await readLease(lease)).spec?.holderIdentity).toBe("intruder");
  });
});
