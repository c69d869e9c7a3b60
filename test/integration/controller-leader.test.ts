import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import { installCrd } from "./crd.js";
import { eventually, kubeConfig, uniqueName } from "./helpers.js";
import { Operator } from "./operator.js";
import { Profiles } from "./profiles.js";

/**
 * Two replicas with --leader-elect: exactly one leads and reconciles; the
 * standby keeps warm caches and writes nothing; killing the leader hands over.
 */
const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const suite = uniqueName("ha");
const label = `netfence.io/test=${suite}`;
const profiles = new Profiles(kc, label);
const operatorNs = uniqueName("netfence-ha");
const target = uniqueName("ha-target");
let replicas: Operator[] = [];

const isLeader = async (op: Operator) => (await op.metric("netfence_leader")) === 1;
const reconciles = async (op: Operator) =>
  ((await op.metric("netfence_reconcile_total", 'result="success"')) ?? 0) + ((await op.metric("netfence_reconcile_total", 'result="retry"')) ?? 0);

beforeAll(async () => {
  await installCrd(kc);
  await core.createNamespace({ body: { metadata: { name: operatorNs } } });
  await core.createNamespace({ body: { metadata: { name: target } } });
  replicas = await Promise.all([0, 1].map(async () => (await Operator.start({ namespace: operatorNs, profileSelector: label, leaderElect: true })).ready()));
});

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
  await Promise.all([operatorNs, target].map((name) => core.deleteNamespace({ name }).catch(() => undefined)));
});

describe("leader election", () => {
  it("lets only the leader write, and hands over when the leader is killed", async () => {
    const [leader, standby] = await eventually(async () => {
      const flags = await Promise.all(replicas.map(isLeader));
      if (flags.filter(Boolean).length !== 1) return undefined;
      return flags[0] ? [replicas[0]!, replicas[1]!] : [replicas[1]!, replicas[0]!];
    }, "exactly one leader", 30_000, 200);

    const first = `${suite}-first`;
    await profiles.create(first, { preset: "deny-ingress", namespaces: { names: [target] } });
    await eventually(() => profiles.policy(first, target), "the leader to apply the policy");
    await eventually(() => profiles.settled(first), "Ready");
    expect(await reconciles(leader)).toBeGreaterThan(0);
    expect(await reconciles(standby)).toBe(0);
    expect(await isLeader(standby)).toBe(false);

    await leader.stop("SIGKILL");
    const second = `${suite}-second`;
    await profiles.create(second, { preset: "deny-egress", namespaces: { names: [target] } });
    // The killed leader's lease expires (15 s) before the standby may take over.
    await eventually(() => profiles.policy(second, target), "the standby to take over and apply", 45_000, 250);
    expect(await isLeader(standby)).toBe(true);
    expect(await reconciles(standby)).toBeGreaterThan(0);
  });
});
