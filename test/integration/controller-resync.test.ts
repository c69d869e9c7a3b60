import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import { installCrd } from "./crd.js";
import { eventually, kubeConfig, uniqueName } from "./helpers.js";
import { auditEvents, auditMark, Operator } from "./operator.js";
import { Profiles } from "./profiles.js";

/** The periodic resync re-checks every profile and writes nothing when nothing changed. */
const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const suite = uniqueName("resync");
const label = `netfence.io/test=${suite}`;
const profiles = new Profiles(kc, label);
const operatorNs = uniqueName("netfence-resync");
const targets = [uniqueName("resync-a"), uniqueName("resync-b")];
let operator: Operator;

const successes = async () => (await operator.metric("netfence_reconcile_total", 'result="success"')) ?? 0;

beforeAll(async () => {
  await installCrd(kc);
  for (const name of [operatorNs, ...targets]) await core.createNamespace({ body: { metadata: { name } } });
  operator = await (await Operator.start({ namespace: operatorNs, profileSelector: label, extraArgs: ["--resync-period=1s"] })).ready();
});

afterAll(async () => {
  await operator.stop();
  await Promise.all([operatorNs, ...targets].map((name) => core.deleteNamespace({ name }).catch(() => undefined)));
});

describe("periodic resync", () => {
  it("reconciles again every period without a single write", async () => {
    const name = `${suite}-p`;
    await profiles.create(name, { preset: "deny-all", namespaces: { names: targets } });
    await eventually(() => profiles.settled(name), "Ready");
    await auditMark();
    const mine = (e: { objectRef?: { namespace?: string; name?: string; resource?: string } }) =>
      targets.includes(e.objectRef?.namespace ?? "") || (e.objectRef?.resource === "isolationprofiles" && e.objectRef.name === name);
    const writesBefore = auditEvents(mine).length;
    const reconcilesBefore = await successes();

    // Three resync passes (the period is 1 s; waited for, not timed), then everything they wrote is in the log.
    await eventually(async () => ((await successes()) >= reconcilesBefore + 3 ? true : undefined), "three resync passes");
    await auditMark();
    expect(auditEvents(mine).slice(writesBefore)).toEqual([]);
  });
});
