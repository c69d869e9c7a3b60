/**
 * The profile's remembered state has one key (deps.ts memoryKey): the four
 * stores a pass reads — the in-place ledger, the pass memo, the verdict memo
 * and the drift contest — are all forgotten by one forgetProfile, whether the
 * profile has a uid (the API server's objects) or only a name (offline).
 */
import { describe, expect, it } from "@jest/globals";
import { parseProfile } from "../../../src/api/parse.js";
import type { IsolationProfile } from "../../../src/api/types.js";
import { DriftContest } from "../../../src/controller/contest.js";
import { forgetProfile, memoryKey, refOf } from "../../../src/controller/deps.js";
import { InPlaceLedger } from "../../../src/controller/in-place.js";
import { PassMemo } from "../../../src/controller/memo.js";
import { VerdictMemo } from "../../../src/controller/verdicts.js";
import type { Namespace, NetworkPolicy } from "../../../src/k8s/objects.js";

const dev: Namespace = { metadata: { name: "dev", uid: "uid-dev", labels: { "kubernetes.io/metadata.name": "dev" } } };
const namespaces = new Map([["dev", dev]]);
/** The Admin-tier policies as the controller passes them: the same array while none changed. */
const NO_TIERS: readonly never[] = [];

function profileOf(uid?: string): IsolationProfile {
  return { apiVersion: "netfence.io/v1alpha1", kind: "IsolationProfile", metadata: { name: "p", ...(uid ? { uid } : {}), generation: 1 }, spec: { preset: "deny-ingress", namespaces: { names: ["dev"] } } };
}

/** What each store shows for the profile. */
function remembered(stores: { inPlace: InPlaceLedger; memo: PassMemo; verdicts: VerdictMemo; contest: DriftContest }, profile: IsolationProfile, desired: NetworkPolicy, tenant: NetworkPolicy) {
  const key = memoryKey(profile);
  return {
    inPlace: stores.inPlace.previous(profile, namespaces).wasInPlace("dev"),
    lastStatus: stores.inPlace.lastStatus(profile) !== undefined,
    lastWritten: stores.inPlace.lastWritten(profile, "dev"),
    rendered: stores.memo.rendered(key, "1", "dev") !== undefined,
    verdict: stores.verdicts.verdict(refOf(profile), desired, [desired, tenant], dev, NO_TIERS).state,
    contested: stores.contest.contested(`${key}/dev`),
  };
}

describe("forgetProfile: one key, four stores", () => {
  it.each([
    ["a profile with a uid", "uid-p"],
    ["a profile known by its name only (offline)", undefined],
  ])("%s is forgotten everywhere at once", (_name, uid) => {
    const profile = profileOf(uid);
    const parsed = parseProfile(profile);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    const stores = { inPlace: new InPlaceLedger(), memo: new PassMemo(), verdicts: new VerdictMemo(), contest: new DriftContest({ now: () => 0 }) };
    const key = memoryKey(profile);
    const [desired] = stores.memo.render(key, "1", parsed.value, [dev], {});
    if (!desired) throw new Error("nothing rendered");
    stores.inPlace.record(profile, new Map([["dev", { name: "dev", state: "Isolated" as const, policy: desired.metadata.name }]]), namespaces, 0);
    stores.inPlace.wrote(profile, { observedGeneration: 1 });
    stores.inPlace.wroteVersion(profile, "dev", "42");
    for (let i = 0; i < 3; i++) stores.contest.healed(`${key}/dev`);
    // A tenant policy that admits everyone; the verdict memo keeps its verdict while the object is the same.
    const tenant: NetworkPolicy = { metadata: { name: "allow-all", namespace: "dev" }, spec: { podSelector: {}, ingress: [{}] } };
    expect(remembered(stores, profile, desired, tenant)).toEqual({ inPlace: true, lastStatus: true, lastWritten: "42", rendered: true, verdict: "Bypassed", contested: true });
    // Changed in place (the same object, so the memo cannot tell): only a forgotten memo judges it again.
    tenant.spec = { podSelector: {}, policyTypes: ["Ingress"] };

    forgetProfile(stores, profile);
    expect(remembered(stores, profile, desired, tenant)).toEqual({ inPlace: false, lastStatus: false, lastWritten: undefined, rendered: false, verdict: "Isolated", contested: false });
  });
});
