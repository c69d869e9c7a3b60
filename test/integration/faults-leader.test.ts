import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { call, callIdempotent, closeTransports, pool } from "../../bench/lib/kube.js";
import { installCrd } from "./crd.js";
import { eventually, kubeConfig, uniqueName } from "./helpers.js";
import { Operator } from "./operator.js";
import { Profiles } from "./profiles.js";

/**
 * Leader failover with two `netfence run --leader-elect` (default Lease: 15 s
 * duration, 2 s retry). SIGKILL of the leader: the standby takes over once the
 * Lease expires (≤ 15 s + one retry ≈ 17 s). SIGTERM: the leader releases the
 * Lease and the standby writes within about one retry period (≤ 3 s). Asserted
 * on state (the new leader reconciles a new profile) with generous timeouts;
 * the measured hand-over times are printed.
 */
const kc = kubeConfig();
const suite = uniqueName("failover");
const label = `netfence.io/test=${suite}`;
const profiles = new Profiles(kc, label);
const operatorNs = uniqueName("netfence-failover");
const targets = [uniqueName("fo-kill"), uniqueName("fo-term")];
let replicas: Operator[] = [];

const start = async () => (await Operator.start({ namespace: operatorNs, profileSelector: label, leaderElect: true, extraArgs: ["--log-level=info"] })).ready();
const isLeader = async (op: Operator) => (await op.metric("netfence_leader")) === 1;

async function leader(): Promise<Operator> {
  return eventually(async () => {
    const flags = await Promise.all(replicas.map(isLeader));
    return flags.filter(Boolean).length === 1 ? replicas[flags.indexOf(true)] : undefined;
  }, "exactly one leader", 30_000, 200);
}

/** Kills the leader with `signal`, creates a profile at once, and times until its policy exists. */
async function handover(signal: NodeJS.Signals, target: string): Promise<number> {
  const current = await leader();
  const t0 = Date.now();
  await current.stop(signal);
  replicas = replicas.filter((r) => r !== current);
  const name = `${suite}-${signal.toLowerCase()}`;
  await profiles.create(name, { preset: "deny-ingress", namespaces: { names: [target] } });
  await eventually(() => profiles.policy(name, target), `the standby to write after ${signal}`, 45_000, 100);
  return (Date.now() - t0) / 1000;
}

beforeAll(async () => {
  await installCrd(kc);
  await pool([operatorNs, ...targets], 4, (name) => call(kc, "POST", "/api/v1/namespaces", { metadata: { name } }));
  replicas = [await start(), await start()];
});

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
  await pool([operatorNs, ...targets], 4, (name) => callIdempotent(kc, "DELETE", `/api/v1/namespaces/${name}`));
  closeTransports();
}, 60_000);

describe("leader failover", () => {
  it("SIGKILL: the standby writes once the Lease expires (about 17 s)", async () => {
    const seconds = await handover("SIGKILL", targets[0] ?? "");
    console.log(`SIGKILL of the leader → the standby wrote after ${seconds.toFixed(1)}s (target ≤ 17 s)`);
    expect(await Promise.all(replicas.map(isLeader))).toEqual([true]);
  }, 90_000);

  it("SIGTERM: the leader releases the Lease and the standby writes within a few seconds", async () => {
    replicas.push(await start());
    await leader();
    const seconds = await handover("SIGTERM", targets[1] ?? "");
    console.log(`SIGTERM of the leader → the standby wrote after ${seconds.toFixed(1)}s (target ≤ 3 s)`);
    expect((await Promise.all(replicas.map(isLeader))).filter(Boolean)).toHaveLength(1);
  }, 90_000);
});
