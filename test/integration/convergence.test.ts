import { describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import { LABEL_MANAGED_BY, LABEL_PROFILE } from "../../src/api/constants.js";
import { parseProfile } from "../../src/api/parse.js";
import type { IsolationProfile, IsolationProfileSpec } from "../../src/api/types.js";
import { canonicalJson } from "../../src/policy/canonical.js";
import type { NetworkPolicy } from "../../src/k8s/objects.js";
import { policyName } from "../../src/policy/naming.js";
import { renderProfile } from "../../src/policy/render.js";
import { eventually, uniqueName } from "./helpers.js";
import { auditMark } from "./operator.js";
import { operatorSuite } from "./suite.js";

/**
 * The live spec of every generated policy is what the profile renders, after
 * any profile change and any hand edit; a heal is counted once with one event;
 * netfence's own deletes are never drift. Asserted on what kubectl shows: the
 * policy read back from the API server, the profile's status, the Events, and
 * the operator's drift counter.
 */
const { kc, core, net, suite, profiles, namespace, operator } = operatorSuite("conv");
const events = kc.makeApiClient(k8s.EventsV1Api);

const MERGE = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);
const JSON_PATCH = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.JsonPatch);

/** What `netfence render` makes of the live profile for the live namespace `ns`. */
async function rendered(profile: IsolationProfile, ns: string): Promise<NetworkPolicy> {
  const parsed = parseProfile(profile);
  if (!parsed.ok) throw new Error(`${profile.metadata.name}: ${JSON.stringify(parsed.issues)}`);
  const live = await core.readNamespace({ name: ns });
  const [policy] = renderProfile(parsed.value, [{ metadata: { name: ns, labels: live.metadata?.labels ?? {} } }]);
  if (!policy) throw new Error(`${profile.metadata.name} renders nothing for ${ns}`);
  return policy;
}

/**
 * Waits until the profile is Ready=True for its current generation and the
 * live policy in `ns` is exactly what it renders (spec, labels, stamp, owner).
 */
async function converged(name: string, ns: string, what: string): Promise<{ profile: IsolationProfile; policy: NetworkPolicy }> {
  return eventually(async () => {
    const profile = await profiles.settled(name);
    const live = await profiles.policy(name, ns);
    if (!profile || !live) return undefined;
    const want = await rendered(profile, ns);
    const same =
      canonicalJson(live.spec) === canonicalJson(want.spec) &&
      Object.entries(want.metadata.labels ?? {}).every(([k, v]) => live.metadata.labels?.[k] === v) &&
      Object.entries(want.metadata.annotations ?? {}).every(([k, v]) => live.metadata.annotations?.[k] === v) &&
      (live.metadata.ownerReferences ?? []).some((o) => o.uid === profile.metadata.uid);
    return same ? { profile, policy: live } : undefined;
  }, what);
}

/** Replaces the whole spec (a merge patch would keep fields the new spec leaves out). */
async function replaceSpec(name: string, spec: Partial<IsolationProfileSpec>): Promise<void> {
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  await custom.patchClusterCustomObject({ group: "netfence.io", version: "v1alpha1", plural: "isolationprofiles", name, body: [{ op: "replace", path: "/spec", value: spec }] }, JSON_PATCH);
}

const drifts = async () => (await operator().metric("netfence_drift_heals_total")) ?? 0;

async function driftEvents(profile: string): Promise<string[]> {
  const list = await events.listNamespacedEvent({ namespace: "default", fieldSelector: `regarding.name=${profile}` });
  return list.items.filter((e) => e.reason === "DriftHealed").map((e) => e.note ?? "");
}

/**
 * A positive signal that the operator ran a full pass of this profile after
 * everything above. Nothing global will do (`netfence_reconcile_total` moves
 * with any profile's pass), and a pass that finds nothing to change writes
 * nothing. So the test gives the profile a new generation that renders the
 * same policies (it excludes one more namespace that does not exist) and
 * waits for the status of that generation: the pass writes it last, after its
 * heals were counted and its events sent. The audit marker then lets those
 * event requests land before the test lists Events.
 */
async function anotherPass(name: string): Promise<void> {
  const current = await profiles.get(name);
  if (!current) throw new Error(`${name} is gone`);
  const spec = current.spec;
  await replaceSpec(name, { ...spec, namespaces: { ...spec.namespaces, exclude: [...(spec.namespaces.exclude ?? []), uniqueName("no-such-namespace")] } });
  const generation = (await profiles.get(name))?.metadata.generation ?? 0;
  expect(generation).toBeGreaterThan(current.metadata.generation ?? 0);
  await eventually(async () => ((await profiles.get(name))?.status?.observedGeneration === generation ? true : undefined), `a pass of ${name} for generation ${String(generation)}`);
  await auditMark();
}

const PRESET_SPECS: Record<string, (ns: string) => Partial<IsolationProfileSpec>> = {
  "deny-ingress": (ns) => ({ preset: "deny-ingress", namespaces: { names: [ns] } }),
  "deny-egress": (ns) => ({ preset: "deny-egress", namespaces: { names: [ns] } }),
  "deny-all": (ns) => ({ preset: "deny-all", namespaces: { names: [ns] } }),
  "allow-same-namespace": (ns) => ({ preset: "allow-same-namespace", namespaces: { names: [ns] } }),
  "allow-by-label": (ns) => ({ preset: "allow-by-label", namespaces: { names: [ns] }, allowedPeers: [{ podSelector: { matchLabels: { access: "true" } } }] }),
};

/** A walk through every ordered pair of presets (self pairs too): an Euler circuit of the complete digraph with loops. */
function everyTransition(nodes: string[]): string[] {
  const out = new Map(nodes.map((n) => [n, [...nodes]]));
  const stack = [nodes[0] ?? ""];
  const circuit: string[] = [];
  while (stack.length) {
    const top = stack[stack.length - 1] ?? "";
    const next = out.get(top)?.pop();
    if (next === undefined) circuit.push(stack.pop() ?? "");
    else stack.push(next);
  }
  return circuit.reverse();
}

describe("every profile change converges the live policy to the render", () => {
  it("walks all 5 × 5 preset transitions", async () => {
    const ns = await namespace("presets");
    const name = `${suite}-presets`;
    const walk = everyTransition(Object.keys(PRESET_SPECS));
    expect(walk).toHaveLength(26);
    const seen = new Set<string>();
    await profiles.create(name, PRESET_SPECS[walk[0] ?? ""]?.(ns) ?? {});
    await converged(name, ns, `${walk[0] ?? ""} in place`);
    for (let i = 1; i < walk.length; i++) {
      const [from, to] = [walk[i - 1] ?? "", walk[i] ?? ""];
      seen.add(`${from}→${to}`);
      await replaceSpec(name, PRESET_SPECS[to]?.(ns) ?? {});
      const { policy } = await converged(name, ns, `${from} → ${to}`);
      const profile = await profiles.get(name);
      if (!profile) throw new Error(`${name} is gone`);
      expect({ transition: `${from} → ${to}`, spec: policy.spec }).toEqual({ transition: `${from} → ${to}`, spec: (await rendered(profile, ns)).spec });
    }
    expect(seen.size).toBe(25);
    const status = await profiles.get(name);
    expect(status?.status?.conditions?.find((c) => c.type === "Degraded")).toMatchObject({ status: "False" });
  });

  it.each<[string, Partial<IsolationProfileSpec>, Partial<IsolationProfileSpec>]>([
    ["widen the podSelector", { podSelector: { matchLabels: { app: "web" } } }, { podSelector: {} }],
    ["narrow the podSelector", { podSelector: {} }, { podSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["web", "api"] }] } }],
    ["add allowedPeers", {}, { allowedPeers: [{ namespaceSelector: { matchLabels: { team: "a" } } }, { ipBlock: { cidr: "10.3.0.0/16", except: ["10.3.1.0/24"] } }] }],
    ["remove allowedPeers", { allowedPeers: [{ podSelector: { matchLabels: { access: "true" } } }] }, {}],
    ["change a peer", { allowedPeers: [{ podSelector: { matchLabels: { access: "true" } } }] }, { allowedPeers: [{ podSelector: { matchLabels: { access: "false" } } }] }],
    ["add ports", {}, { ports: [{ port: 8080 }, { port: 9000, endPort: 9010, protocol: "UDP" }] }],
    ["remove ports", { ports: [{ port: 8080 }] }, {}],
    ["add an egress allowance", {}, { egress: [{ to: [{ ipBlock: { cidr: "10.20.0.0/16" } }], ports: [{ port: 443 }] }] }],
    ["remove an egress allowance", { egress: [{ to: [{ ipBlock: { cidr: "10.20.0.0/16" } }] }] }, {}],
    ["turn allowDNS off", { allowDNS: true }, { allowDNS: false }],
    ["turn allowDNS on", { allowDNS: false }, { allowDNS: true }],
  ])("%s", async (what, before, after) => {
    const ns = await namespace("field");
    const name = uniqueName(`${suite}-f`);
    const base: Partial<IsolationProfileSpec> = { preset: "deny-all", namespaces: { names: [ns] } };
    await profiles.create(name, { ...base, ...before });
    await converged(name, ns, `${what}: before`);
    await replaceSpec(name, { ...base, ...after });
    const { profile, policy } = await converged(name, ns, `${what}: after`);
    expect(policy.spec).toEqual((await rendered(profile, ns)).spec);
  });
});

/** The rich profile every hand edit starts from: rules, peers, ports and both directions to edit. */
const editable = (ns: string): Partial<IsolationProfileSpec> => ({
  preset: "deny-all",
  namespaces: { names: [ns] },
  podSelector: { matchLabels: { app: "web" } },
  allowedPeers: [{ podSelector: { matchLabels: { access: "true" } } }],
  ports: [{ port: 8080 }],
  allowDNS: true,
});

type Edit = (ns: string, name: string) => Promise<unknown>;
const jsonPatch = (ops: object[]): Edit => (ns, name) => net.patchNamespacedNetworkPolicy({ namespace: ns, name, body: ops }, JSON_PATCH);
const mergePatch = (body: object): Edit => (ns, name) => net.patchNamespacedNetworkPolicy({ namespace: ns, name, body }, MERGE);

describe("every hand edit is restored exactly, counted once, with one event", () => {
  it.each<[string, Edit]>([
    ["add a rule", jsonPatch([{ op: "add", path: "/spec/ingress/-", value: { from: [{ namespaceSelector: {} }] } }])],
    ["add an allow-all rule (ingress: [{}])", mergePatch({ spec: { ingress: [{}] } })],
    ["remove a rule", jsonPatch([{ op: "remove", path: "/spec/ingress/0" }])],
    ["widen the podSelector", jsonPatch([{ op: "replace", path: "/spec/podSelector", value: {} }])],
    ["narrow the podSelector", jsonPatch([{ op: "add", path: "/spec/podSelector/matchLabels/tier", value: "none" }])],
    ["drop a policyType", jsonPatch([{ op: "replace", path: "/spec/policyTypes", value: ["Ingress"] }])],
    ["change a peer", jsonPatch([{ op: "replace", path: "/spec/ingress/0/from/0/podSelector/matchLabels/access", value: "false" }])],
    ["change a port", jsonPatch([{ op: "replace", path: "/spec/ingress/0/ports/0/port", value: 9090 }])],
    ["remove the managed-by label", mergePatch({ metadata: { labels: { [LABEL_MANAGED_BY]: null } } })],
    ["remove the profile label", mergePatch({ metadata: { labels: { [LABEL_PROFILE]: null } } })],
    ["delete the policy", (ns, name) => net.deleteNamespacedNetworkPolicy({ namespace: ns, name })],
  ])("%s", async (what, edit) => {
    const ns = await namespace("edit");
    const name = uniqueName(`${suite}-e`);
    await profiles.create(name, editable(ns));
    const { policy: original } = await converged(name, ns, `${what}: in place`);
    const before = await drifts();

    await edit(ns, policyName(name));
    // The edit landed (a user would see it) before netfence restores it.
    const { policy: restored } = await converged(name, ns, `${what}: restored`);
    expect(restored.metadata.resourceVersion).not.toBe(original.metadata.resourceVersion);
    expect(restored.spec).toEqual(original.spec);
    expect(restored.metadata.labels).toEqual(original.metadata.labels);
    await eventually(async () => ((await drifts()) > before ? true : undefined), `${what}: counted as drift`);
    await eventually(async () => ((await driftEvents(name)).length > 0 ? true : undefined), `${what}: a DriftHealed event`);

    await anotherPass(name);
    expect(await drifts()).toBe(before + 1);
    const notes = await driftEvents(name);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain(`${ns}/${policyName(name)}`);
    const status = (await profiles.get(name))?.status;
    expect(status?.conditions?.find((c) => c.type === "Ready")).toMatchObject({ status: "True", reason: "Reconciled" });
    expect(status?.conditions?.find((c) => c.type === "Degraded")).toMatchObject({ status: "False" });
    expect(status?.namespaces).toEqual([{ name: ns, state: "Isolated", policy: policyName(name) }]);
  });
});

describe("netfence's own deletes are never drift", () => {
  it("deselect and reselect a namespace, narrow the profile, delete the profile: no heal, no DriftHealed event", async () => {
    const team = uniqueName("team");
    const a = await namespace("own", { team });
    const b = await namespace("own", { team });
    const name = uniqueName(`${suite}-own`);
    await profiles.create(name, { preset: "deny-ingress", namespaces: { selector: { matchLabels: { team } }, names: [] } });
    await converged(name, a, "in place in a");
    await converged(name, b, "in place in b");
    const before = await drifts();

    // Deselect a: netfence deletes its policy. Select it again: netfence creates it.
    await core.patchNamespace({ name: a, body: { metadata: { labels: { team: null } } } }, MERGE);
    await eventually(async () => ((await profiles.policy(name, a)) ? undefined : true), "deleted with the label");
    await core.patchNamespace({ name: a, body: { metadata: { labels: { team } } } }, MERGE);
    await converged(name, a, "created again with the label");

    // Narrow the profile to b only, by name.
    await replaceSpec(name, { preset: "deny-ingress", namespaces: { names: [b] } });
    await eventually(async () => ((await profiles.policy(name, a)) ? undefined : true), "deleted when the profile narrows");
    await converged(name, b, "still in place in b");
    await anotherPass(name);
    expect(await drifts()).toBe(before);
    expect(await driftEvents(name)).toEqual([]);

    // Delete the profile: its policies go with it.
    await profiles.delete(name);
    await eventually(async () => ((await profiles.get(name)) ? undefined : true), "the profile gone");
    expect(await profiles.policy(name, b)).toBeUndefined();
    const witness = uniqueName(`${suite}-witness`);
    await profiles.create(witness, { preset: "deny-ingress", namespaces: { names: [b] } });
    await converged(witness, b, "a later profile reconciled");
    expect(await drifts()).toBe(before);
  });
});
