import { describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import * as k8s from "@kubernetes/client-node";
import { parse as parseYaml } from "yaml";
import { FINALIZER, LABEL_MANAGED_BY, LABEL_PROFILE } from "../../src/api/constants.js";
import type { NetworkPolicy } from "../../src/k8s/objects.js";
import { policyName } from "../../src/policy/naming.js";
import { eventually, uniqueName } from "./helpers.js";
import { auditEvents, auditMark } from "./operator.js";
import { liveMatrix } from "./profiles.js";
import { operatorSuite } from "./suite.js";
import { createPod, createWalkthroughCluster, FIXTURES, SAMPLES } from "./walkthrough.js";

/**
 * The controller, black box: `netfence run` as a process against the real
 * control plane; assertions are what kubectl would show.
 */
const { kc, core, net, suite, profiles, namespaces, namespace, operator, restart } = operatorSuite("ctl");

const policyPresent = (profile: string, ns: string) => () => profiles.policy(profile, ns);
const policyAbsent = (profile: string, ns: string) => async () => ((await profiles.policy(profile, ns)) ? undefined : true);

describe("the walkthrough, reproduced from IsolationProfiles", () => {
  it("yields each state's policy in dev and the walkthrough's matrix", async () => {
    const cluster = await createWalkthroughCluster(kc);
    namespaces.push(...Object.values(cluster.names));
    const dev = cluster.names.dev ?? "";
    const both = [dev, cluster.names.test ?? ""];
    const states = ["s2-deny-ingress", "s3-deny-all", "s4-ipblock-except", "s5-same-namespace-label"];
    let previous: string | undefined;
    for (const state of states) {
      if (previous) {
        await profiles.delete(previous);
        await eventually(policyAbsent(previous, dev), `${previous}'s policy to be removed`);
      }
      const name = `${suite}-${state}`;
      await profiles.fromSample(`${SAMPLES}${state}.yaml`, name, (ns) => cluster.names[ns] ?? ns);
      const policy = await eventually(policyPresent(name, dev), `${state}: policy in dev`);
      const expected = (parseYaml(readFileSync(`${FIXTURES}${state}/policy.yaml`, "utf8")) as NetworkPolicy).spec;
      expect(policy.spec).toEqual(expected);
      // Only once the pass has finished (Ready for this generation) does "no policy in test" mean anything.
      await eventually(() => profiles.settled(name), `${state}: Ready`);
      expect(await profiles.policy(name, cluster.names.test ?? "")).toBeUndefined();

      const expect_ = JSON.parse(readFileSync(`${FIXTURES}${state}/expect.json`, "utf8")) as { probes: { from: string; to: string; protocol: string; allowed: boolean }[] };
      for (const protocol of ["ICMP", "TCP"]) {
        const matrix = await liveMatrix(both, protocol);
        for (const probe of expect_.probes.filter((p) => p.protocol === protocol)) {
          const cell = matrix.find((c) => c.from === cluster.rename(probe.from) && c.to === cluster.rename(probe.to));
          expect({ state, protocol, from: probe.from, to: probe.to, allowed: cell?.allowed }).toEqual({ state, protocol, from: probe.from, to: probe.to, allowed: probe.allowed });
        }
      }
      previous = name;
    }
  });
});

describe("namespace selection follows the cluster", () => {
  it("isolates a namespace created later and releases it when its label is removed", async () => {
    const team = uniqueName("team");
    const name = `${suite}-by-label`;
    await profiles.create(name, { preset: "deny-ingress", namespaces: { selector: { matchLabels: { team } } } });
    const later = await namespace("later", { team });
    const policy = await eventually(policyPresent(name, later), "a policy in the namespace created later");
    expect(policy.metadata.labels).toMatchObject({ [LABEL_MANAGED_BY]: "netfence", [LABEL_PROFILE]: name });
    const status = await eventually(() => profiles.settled(name), "Ready");
    expect(status.status?.selectedNamespaces).toBe(1);

    await core.patchNamespace({ name: later, body: { metadata: { labels: { team: null } } } }, k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch));
    await eventually(policyAbsent(name, later), "the policy to be removed with the label");
    await eventually(async () => ((await profiles.get(name))?.status?.selectedNamespaces === 0 ? true : undefined), "status to drop the namespace");
  });
});

describe("drift", () => {
  it("restores a managed policy deleted or edited by hand", async () => {
    const ns = await namespace("drift");
    const name = `${suite}-drift`;
    await profiles.create(name, { preset: "deny-all", namespaces: { names: [ns] }, allowDNS: false });
    const original = await eventually(policyPresent(name, ns), "the policy");

    await net.deleteNamespacedNetworkPolicy({ namespace: ns, name: policyName(name) });
    const restored = await eventually(async () => {
      const p = await profiles.policy(name, ns);
      return p && p.metadata.uid !== original.metadata.uid ? p : undefined;
    }, "the deleted policy to be re-created");
    expect(restored.spec).toEqual(original.spec);

    await net.patchNamespacedNetworkPolicy(
      { namespace: ns, name: policyName(name), body: { spec: { policyTypes: ["Ingress"] } } },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
    await eventually(async () => {
      const p = await profiles.policy(name, ns);
      return p?.spec.policyTypes?.includes("Egress") ? p : undefined;
    }, "the edited policy to be restored");
    // Counted once the pass that restored it finishes, a moment after the write is visible.
    await eventually(async () => (((await operator().metric("netfence_drift_heals_total")) ?? 0) >= 2 ? true : undefined), "two drift heals counted");
    const events = kc.makeApiClient(k8s.EventsV1Api);
    const reasons = await eventually(async () => {
      const list = await events.listNamespacedEvent({ namespace: "default", fieldSelector: `regarding.name=${name}` });
      const seen = new Set(list.items.map((e) => e.reason));
      return seen.has("Applied") && seen.has("DriftHealed") ? [...seen].sort() : undefined;
    }, "Applied and DriftHealed events on the profile");
    expect(reasons).toEqual(expect.arrayContaining(["Applied", "DriftHealed"]));
  });
});

describe("ownership", () => {
  it("never touches a user's policy with the generated name and reports Conflict", async () => {
    const ns = await namespace("conflict");
    const clean = await namespace("clean");
    const name = `${suite}-conflict`;
    const users: k8s.V1NetworkPolicy = { metadata: { name: policyName(name), labels: { owner: "alice" } }, spec: { podSelector: {}, policyTypes: ["Egress"] } };
    const before = await net.createNamespacedNetworkPolicy({ namespace: ns, body: users });
    await profiles.create(name, { preset: "deny-ingress", namespaces: { names: [ns, clean] } });
    await eventually(policyPresent(name, clean), "the policy in the clean namespace");
    const status = await eventually(() => profiles.settled(name, "False"), "Ready=False");
    expect(status.status?.conditions?.find((c) => c.type === "Degraded")).toMatchObject({ status: "True", reason: "Conflict" });
    expect(status.status?.namespaces?.[0]).toMatchObject({ name: ns, state: "Conflict" });
    expect(status.status?.namespaces?.find((n) => n.name === clean)).toMatchObject({ state: "Isolated" });
    const after = await profiles.policy(name, ns);
    expect(after?.metadata.resourceVersion).toBe(before.metadata?.resourceVersion);
    expect(after?.metadata.labels).toEqual({ owner: "alice" });
  });

  it("gives two profiles on one namespace two policies, and deletes or orphans them with the profile", async () => {
    const ns = await namespace("two");
    const a = `${suite}-del`;
    const b = `${suite}-orphan`;
    await profiles.create(a, { preset: "deny-ingress", namespaces: { names: [ns] } });
    const bUid = (await profiles.create(b, { preset: "deny-egress", namespaces: { names: [ns] }, deletionPolicy: "Orphan" })).metadata.uid ?? "";
    await eventually(policyPresent(a, ns), "policy of the first profile");
    await eventually(policyPresent(b, ns), "policy of the second profile");
    const created = await eventually(async () => ((await profiles.get(a))?.metadata.finalizers?.includes(FINALIZER) ? true : undefined), "the finalizer");
    expect(created).toBe(true);

    await profiles.delete(a);
    await eventually(policyAbsent(a, ns), "Delete: the policy goes with the profile");
    await eventually(async () => ((await profiles.get(a)) ? undefined : true), "the profile to be gone");

    await profiles.delete(b);
    await eventually(async () => ((await profiles.get(b)) ? undefined : true), "the orphaning profile to be gone");
    const kept = await profiles.policy(b, ns);
    expect(kept).toBeDefined();
    expect(kept?.metadata.labels?.[LABEL_MANAGED_BY]).toBeUndefined();
    expect(kept?.metadata.ownerReferences ?? []).toEqual([]);
    // The garbage collector leaves an orphaned policy alone. Its positive signal: a witness that
    // still names the deleted profile as owner is collected, so the collector has seen the deletion.
    const witness = await net.createNamespacedNetworkPolicy({
      namespace: ns,
      body: { metadata: { name: "gc-witness", ownerReferences: [{ apiVersion: "netfence.io/v1alpha1", kind: "IsolationProfile", name: b, uid: bUid }] }, spec: { podSelector: {} } },
    });
    expect(witness.metadata?.name).toBe("gc-witness");
    await eventually(async () => ((await profiles.readPolicy(ns, "gc-witness")) ? undefined : true), "the garbage collector to delete the witness", 60_000);
    expect(await profiles.policy(b, ns)).toBeDefined();
  });
});

describe("DryRun", () => {
  it("writes nothing and reports the plan per namespace", async () => {
    const ns = await namespace("dry");
    const name = `${suite}-dry`;
    await profiles.create(name, { preset: "deny-all", namespaces: { names: [ns] }, mode: "DryRun" });
    const status = await eventually(() => profiles.settled(name, "False"), "the dry-run status");
    expect(status.status?.namespaces).toEqual([{ name: ns, state: "DryRun", policy: policyName(name), action: "create" }]);
    expect(status.status?.conditions?.find((c) => c.type === "Ready")?.reason).toBe("DryRun");
    expect(await profiles.policy(name, ns)).toBeUndefined();
    await auditMark();
    const dryRuns = auditEvents((e) => e.objectRef?.resource === "networkpolicies" && e.objectRef.namespace === ns);
    expect(dryRuns.length).toBeGreaterThan(0);
    expect(dryRuns.filter((e) => !e.requestURI.includes("dryRun=All"))).toEqual([]);

    await profiles.patchSpec(name, { mode: "Enforce" });
    await eventually(policyPresent(name, ns), "the policy once enforced");
  });
});

describe("status", () => {
  it("counts isolated pods as pod labels change", async () => {
    const ns = await namespace("pods");
    const name = `${suite}-pods`;
    await profiles.create(name, { preset: "deny-ingress", namespaces: { names: [ns] }, podSelector: { matchLabels: { isolate: "yes" } } });
    await createPod(kc, { metadata: { name: "one", namespace: ns, labels: { isolate: "yes" } }, spec: { containers: [{ name: "c", image: "nginx" }] } });
    await createPod(kc, { metadata: { name: "two", namespace: ns, labels: {} }, spec: { containers: [{ name: "c", image: "nginx" }] } });
    await eventually(async () => ((await profiles.get(name))?.status?.isolatedPods === 1 ? true : undefined), "one isolated pod");
    await core.patchNamespacedPod({ namespace: ns, name: "two", body: { metadata: { labels: { isolate: "yes" } } } }, k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch));
    await eventually(async () => ((await profiles.get(name))?.status?.isolatedPods === 2 ? true : undefined), "two isolated pods after labelling");
  });

  it("reports a profile that selects only system namespaces as Degraded, without crashing", async () => {
    const name = `${suite}-system`;
    await profiles.create(name, { preset: "deny-all", namespaces: { names: ["kube-system"] } });
    const status = await eventually(async () => {
      const p = await profiles.get(name);
      return p?.status?.conditions?.find((c) => c.type === "Degraded" && c.status === "True") ? p : undefined;
    }, "Degraded");
    expect(status.status?.conditions?.find((c) => c.type === "Degraded")?.reason).toBe("OnlySystemNamespaces");
    expect(await profiles.policy(name, "kube-system")).toBeUndefined();
  });
});

describe("restart", () => {
  it("causes zero writes when everything is in place", async () => {
    const nsA = await namespace("steady");
    const nsB = await namespace("steady");
    const name = `${suite}-steady`;
    await profiles.create(name, { preset: "deny-all", namespaces: { names: [nsA, nsB] } });
    await eventually(() => profiles.settled(name), "Ready");
    const mine = (e: { objectRef?: { namespace?: string; name?: string; resource?: string } }) =>
      (e.objectRef?.namespace === nsA || e.objectRef?.namespace === nsB || (e.objectRef?.resource === "isolationprofiles" && e.objectRef.name === name));
    let before = 0;
    // Every profile of this suite is reconciled once at start: wait for that many passes, then for the audit log.
    let suiteProfiles = 0;
    const restarted = await restart(async () => {
      await auditMark();
      before = auditEvents(mine).length;
      suiteProfiles = await profiles.count();
    });
    await eventually(async () => ((await restarted.metric("netfence_reconcile_total")) ?? 0) >= suiteProfiles ? true : undefined, "a pass of every profile after restart");
    await auditMark();
    expect(auditEvents(mine).slice(before)).toEqual([]);
  });
});
