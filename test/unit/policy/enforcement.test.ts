/**
 * Which tier enforces a profile (src/policy/enforcement.ts), as tables: what
 * the API serves × what the data plane is believed to enforce × what the spec
 * asks for. Served is not enforced: `Auto` never picks a kind the data plane
 * is not declared or detected to enforce, and the Enforced condition never
 * says True where nothing is known to enforce what netfence writes.
 */
import { describe, expect, it } from "@jest/globals";
import type { Enforcement } from "../../../src/api/types.js";
import { ADMIN_KINDS, type AdminKind } from "../../../src/policy/admin-render.js";
import { calicoEnforces, chooseEnforcement, kindOf, parseEnforces, POLICY_KINDS, UNVERIFIED, type DataPlane, type PolicyKind } from "../../../src/policy/enforcement.js";

const [CNP_V1BETA1, CNP_V1ALPHA2, ANP_V1ALPHA1] = ADMIN_KINDS;

// ---------------------------------------------------------------------------
// Data planes, as io/data-plane.ts builds them

function detectedCalico(version: string): DataPlane {
  const enforces = calicoEnforces(version);
  if (!enforces) throw new Error(`unreadable Calico version '${version}'`);
  return { name: `Calico ${version}`, enforces, evidence: "detected", source: "ClusterInformation default spec.calicoVersion" };
}

function declared(name: string, enforces: readonly PolicyKind[]): DataPlane {
  return { name, enforces, evidence: "declared", source: "--data-plane-enforces" };
}

const CALICO_328 = detectedCalico("v3.28.2");
const CALICO_331 = detectedCalico("v3.31.0");
const CALICO_332 = detectedCalico("v3.32.0");
const FLANNEL = declared("flannel", []);
const EVERYTHING = declared("declared data plane", ["NetworkPolicy", "ClusterNetworkPolicy", "AdminNetworkPolicy"]);
const NP_ONLY = declared("cilium", ["NetworkPolicy"]);
/** An Admin-tier-only data plane: nothing enforces the residual NetworkPolicies. */
const ANP_ONLY = declared("anp-only", ["AdminNetworkPolicy"]);
/** Inconsistent input: a list of kinds on unverified evidence. The evidence decides. */
const UNVERIFIED_WITH_LIST: DataPlane = { ...UNVERIFIED, enforces: ["NetworkPolicy", "ClusterNetworkPolicy", "AdminNetworkPolicy"] };

// ---------------------------------------------------------------------------
// What the API serves (deliberately not in preference order)

const NOTHING_SERVED: AdminKind[] = [];
const ALL_SERVED: AdminKind[] = [ANP_V1ALPHA1, CNP_V1ALPHA2, CNP_V1BETA1];
const CNP_BOTH: AdminKind[] = [CNP_V1ALPHA2, CNP_V1BETA1];
const CNP_ALPHA_AND_ANP: AdminKind[] = [ANP_V1ALPHA1, CNP_V1ALPHA2];
const CNP_BETA_AND_ANP: AdminKind[] = [ANP_V1ALPHA1, CNP_V1BETA1];
const ANP_ONLY_SERVED: AdminKind[] = [ANP_V1ALPHA1];

interface Expected {
  kind: AdminKind | "NetworkPolicy";
  reason: string;
  /** The degraded reason; undefined: not degraded. */
  degraded: string | undefined;
  /** "status/reason" of the Enforced condition. */
  enforced: string;
  /** Substrings the choice's message names (and the degraded message, when degraded). */
  says: string[];
  /** Substrings the Enforced condition's message names. */
  enforcedSays: string[];
}

/** [sentence, spec.enforcement, served, data plane, expected]. */
type Row = [string, Enforcement, AdminKind[], DataPlane, Expected];

const SERVED_ALL = `${CNP_V1BETA1}, ${CNP_V1ALPHA2}, ${ANP_V1ALPHA1} is served`;
const NOT_SERVED = "the API serves no Admin-tier kind (ClusterNetworkPolicy policy.networking.k8s.io/v1beta1 or v1alpha2, AdminNetworkPolicy v1alpha1)";
const NO_EVIDENCE = "no data plane is declared (--data-plane-enforces) or detected";
const NOTHING_ISOLATES = "nothing isolates these namespaces";

const rows: Row[] = [
  // Auto: the first served kind the data plane enforces, in ADMIN_KINDS' order.
  [
    "Auto, everything served and enforced: ClusterNetworkPolicy v1beta1 (whatever the discovery order)",
    "Auto",
    ALL_SERVED,
    EVERYTHING,
    { kind: CNP_V1BETA1, reason: "AdminTierEnforced", degraded: undefined, enforced: "True/Declared", says: [`${CNP_V1BETA1} is served`, "declared data plane (declared: --data-plane-enforces) enforces it", "written to the Admin tier"], enforcedSays: ["enforces ClusterNetworkPolicy"] },
  ],
  ["Auto, both ClusterNetworkPolicy versions served and Calico 3.32 detected: v1beta1 before v1alpha2", "Auto", CNP_BOTH, CALICO_332, { kind: CNP_V1BETA1, reason: "AdminTierEnforced", degraded: undefined, enforced: "True/Detected", says: [`${CNP_V1BETA1} is served`, "Calico v3.32.0 (detected: ClusterInformation default spec.calicoVersion)"], enforcedSays: ["Calico v3.32.0", "enforces ClusterNetworkPolicy"] }],
  ["Auto, ClusterNetworkPolicy v1alpha2 and AdminNetworkPolicy served, everything declared: v1alpha2 before AdminNetworkPolicy", "Auto", CNP_ALPHA_AND_ANP, EVERYTHING, { kind: CNP_V1ALPHA2, reason: "AdminTierEnforced", degraded: undefined, enforced: "True/Declared", says: [`${CNP_V1ALPHA2} is served`], enforcedSays: ["enforces ClusterNetworkPolicy"] }],
  ["Auto, only AdminNetworkPolicy served, everything declared: AdminNetworkPolicy", "Auto", ANP_ONLY_SERVED, EVERYTHING, { kind: ANP_V1ALPHA1, reason: "AdminTierEnforced", degraded: undefined, enforced: "True/Declared", says: [`${ANP_V1ALPHA1} is served`], enforcedSays: ["enforces AdminNetworkPolicy"] }],
  [
    "Auto, ClusterNetworkPolicy served but felix 3.31 enforces AdminNetworkPolicy only: AdminNetworkPolicy, never the served-but-not-enforced kind",
    "Auto",
    CNP_BETA_AND_ANP,
    CALICO_331,
    { kind: ANP_V1ALPHA1, reason: "AdminTierEnforced", degraded: undefined, enforced: "True/Detected", says: [`${ANP_V1ALPHA1} is served`, "Calico v3.31.0 (detected"], enforcedSays: ["Calico v3.31.0", "enforces AdminNetworkPolicy"] },
  ],
  ["Auto, everything served and Calico 3.32 detected: ClusterNetworkPolicy v1beta1", "Auto", ALL_SERVED, CALICO_332, { kind: CNP_V1BETA1, reason: "AdminTierEnforced", degraded: undefined, enforced: "True/Detected", says: [`${CNP_V1BETA1} is served`], enforcedSays: ["enforces ClusterNetworkPolicy"] }],
  [
    "Auto, the Admin-tier kind enforced but not NetworkPolicy: the kind is picked, yet Enforced is False (ingress from outside is not isolated)",
    "Auto",
    ANP_ONLY_SERVED,
    ANP_ONLY,
    { kind: ANP_V1ALPHA1, reason: "AdminTierEnforced", degraded: undefined, enforced: "False/NotEnforced", says: [`${ANP_V1ALPHA1} is served`, "anp-only (declared"], enforcedSays: ["does not enforce NetworkPolicy", "ingress from outside the cluster is not isolated"] },
  ],
  // Auto: served, verified, but not enforced.
  [
    "Auto, only ClusterNetworkPolicy served and felix 3.31 enforces AdminNetworkPolicy only: NetworkPolicy, AdminTierNotEnforced",
    "Auto",
    CNP_BOTH,
    CALICO_331,
    { kind: "NetworkPolicy", reason: "AdminTierNotEnforced", degraded: undefined, enforced: "True/Detected", says: [`${CNP_V1BETA1}, ${CNP_V1ALPHA2} is served`, "Calico v3.31.0 (detected: ClusterInformation default spec.calicoVersion) enforces NetworkPolicy, AdminNetworkPolicy", "NetworkPolicies are written"], enforcedSays: ["enforces NetworkPolicy"] },
  ],
  [
    "Auto, only AdminNetworkPolicy served and Calico 3.32 (which dropped it) detected: NetworkPolicy, AdminTierNotEnforced",
    "Auto",
    ANP_ONLY_SERVED,
    CALICO_332,
    { kind: "NetworkPolicy", reason: "AdminTierNotEnforced", degraded: undefined, enforced: "True/Detected", says: [`${ANP_V1ALPHA1} is served`, "enforces NetworkPolicy, ClusterNetworkPolicy"], enforcedSays: ["enforces NetworkPolicy"] },
  ],
  ["Auto, everything served and Calico 3.28 detected: NetworkPolicy, AdminTierNotEnforced", "Auto", ALL_SERVED, CALICO_328, { kind: "NetworkPolicy", reason: "AdminTierNotEnforced", degraded: undefined, enforced: "True/Detected", says: [SERVED_ALL, "Calico v3.28.2 (detected: ClusterInformation default spec.calicoVersion) enforces NetworkPolicy:"], enforcedSays: ["enforces NetworkPolicy"] }],
  ["Auto, everything served and a data plane declared to enforce NetworkPolicy only: NetworkPolicy, AdminTierNotEnforced", "Auto", ALL_SERVED, NP_ONLY, { kind: "NetworkPolicy", reason: "AdminTierNotEnforced", degraded: undefined, enforced: "True/Declared", says: [SERVED_ALL, "cilium (declared: --data-plane-enforces) enforces NetworkPolicy"], enforcedSays: ["cilium", "enforces NetworkPolicy"] }],
  [
    "Auto, everything served and flannel declared to enforce nothing: NetworkPolicy, and Enforced is False",
    "Auto",
    ALL_SERVED,
    FLANNEL,
    { kind: "NetworkPolicy", reason: "AdminTierNotEnforced", degraded: undefined, enforced: "False/NotEnforced", says: [SERVED_ALL, "flannel (declared: --data-plane-enforces) enforces nothing"], enforcedSays: ["flannel", "enforces nothing, not the NetworkPolicy netfence writes", NOTHING_ISOLATES] },
  ],
  [
    "Auto, ClusterNetworkPolicy served and an AdminNetworkPolicy-only data plane: NetworkPolicy, which nothing enforces",
    "Auto",
    CNP_BOTH,
    ANP_ONLY,
    { kind: "NetworkPolicy", reason: "AdminTierNotEnforced", degraded: undefined, enforced: "False/NotEnforced", says: [`${CNP_V1BETA1}, ${CNP_V1ALPHA2} is served`, "enforces AdminNetworkPolicy"], enforcedSays: ["enforces AdminNetworkPolicy, not the NetworkPolicy netfence writes", NOTHING_ISOLATES] },
  ],
  // Auto: unverified, or nothing served.
  [
    "Auto, everything served on an unverified data plane: NetworkPolicy, AdminTierUnverified (served is not enforced)",
    "Auto",
    ALL_SERVED,
    UNVERIFIED,
    { kind: "NetworkPolicy", reason: "AdminTierUnverified", degraded: undefined, enforced: "Unknown/Unverified", says: [SERVED_ALL, NO_EVIDENCE, "served is not enforced", "NetworkPolicies are written"], enforcedSays: [NO_EVIDENCE, "the NetworkPolicy it writes"] },
  ],
  ["Auto, only AdminNetworkPolicy served on an unverified data plane: NetworkPolicy, AdminTierUnverified", "Auto", ANP_ONLY_SERVED, UNVERIFIED, { kind: "NetworkPolicy", reason: "AdminTierUnverified", degraded: undefined, enforced: "Unknown/Unverified", says: [`${ANP_V1ALPHA1} is served`, NO_EVIDENCE], enforcedSays: [NO_EVIDENCE] }],
  ["Auto, unverified evidence with a list of kinds: the evidence decides, NetworkPolicy, AdminTierUnverified", "Auto", CNP_BETA_AND_ANP, UNVERIFIED_WITH_LIST, { kind: "NetworkPolicy", reason: "AdminTierUnverified", degraded: undefined, enforced: "Unknown/Unverified", says: [`${CNP_V1BETA1}, ${ANP_V1ALPHA1} is served`, NO_EVIDENCE], enforcedSays: [NO_EVIDENCE] }],
  ["Auto, nothing served on an unverified data plane: NetworkPolicy, AdminTierNotServed", "Auto", NOTHING_SERVED, UNVERIFIED, { kind: "NetworkPolicy", reason: "AdminTierNotServed", degraded: undefined, enforced: "Unknown/Unverified", says: [NOT_SERVED, "NetworkPolicies are written"], enforcedSays: [NO_EVIDENCE] }],
  ["Auto, nothing served and Calico 3.32 detected: NetworkPolicy, AdminTierNotServed, enforced", "Auto", NOTHING_SERVED, CALICO_332, { kind: "NetworkPolicy", reason: "AdminTierNotServed", degraded: undefined, enforced: "True/Detected", says: [NOT_SERVED], enforcedSays: ["Calico v3.32.0", "enforces NetworkPolicy"] }],
  ["Auto, nothing served and flannel declared: NetworkPolicy, AdminTierNotServed, Enforced False", "Auto", NOTHING_SERVED, FLANNEL, { kind: "NetworkPolicy", reason: "AdminTierNotServed", degraded: undefined, enforced: "False/NotEnforced", says: [NOT_SERVED], enforcedSays: ["flannel", "enforces nothing", NOTHING_ISOLATES] }],
  // AdminTier: honoured when enforced or unverified, degraded when not served or known not enforced.
  ["AdminTier, everything served and enforced: ClusterNetworkPolicy v1beta1, Requested", "AdminTier", ALL_SERVED, EVERYTHING, { kind: CNP_V1BETA1, reason: "Requested", degraded: undefined, enforced: "True/Declared", says: [`${CNP_V1BETA1} is served`, "enforces it"], enforcedSays: ["enforces ClusterNetworkPolicy"] }],
  ["AdminTier, ClusterNetworkPolicy served but felix 3.31 enforces AdminNetworkPolicy: AdminNetworkPolicy, Requested", "AdminTier", CNP_BETA_AND_ANP, CALICO_331, { kind: ANP_V1ALPHA1, reason: "Requested", degraded: undefined, enforced: "True/Detected", says: [`${ANP_V1ALPHA1} is served`, "Calico v3.31.0"], enforcedSays: ["enforces AdminNetworkPolicy"] }],
  [
    "AdminTier, everything served on an unverified data plane: honoured with the preferred kind, Enforced Unknown",
    "AdminTier",
    ALL_SERVED,
    UNVERIFIED,
    { kind: CNP_V1BETA1, reason: "Requested", degraded: undefined, enforced: "Unknown/Unverified", says: [`spec.enforcement is AdminTier and ${CNP_V1BETA1} is served`, "no data plane is declared or detected to enforce it", "unverified"], enforcedSays: [NO_EVIDENCE, "the ClusterNetworkPolicy it writes"] },
  ],
  ["AdminTier, only AdminNetworkPolicy served on an unverified data plane: honoured, Enforced Unknown", "AdminTier", ANP_ONLY_SERVED, UNVERIFIED, { kind: ANP_V1ALPHA1, reason: "Requested", degraded: undefined, enforced: "Unknown/Unverified", says: [`${ANP_V1ALPHA1} is served`, "unverified"], enforcedSays: ["the AdminNetworkPolicy it writes"] }],
  [
    "AdminTier, the Admin-tier kind enforced but not NetworkPolicy: honoured, Enforced False",
    "AdminTier",
    ANP_ONLY_SERVED,
    ANP_ONLY,
    { kind: ANP_V1ALPHA1, reason: "Requested", degraded: undefined, enforced: "False/NotEnforced", says: [`${ANP_V1ALPHA1} is served`, "anp-only"], enforcedSays: ["does not enforce NetworkPolicy", "ingress from outside the cluster is not isolated"] },
  ],
  [
    "AdminTier, nothing served on an unverified data plane: NetworkPolicy, degraded AdminTierNotServed",
    "AdminTier",
    NOTHING_SERVED,
    UNVERIFIED,
    { kind: "NetworkPolicy", reason: "AdminTierNotServed", degraded: "AdminTierNotServed", enforced: "Unknown/Unverified", says: ["spec.enforcement is AdminTier, but", NOT_SERVED, "NetworkPolicies are written"], enforcedSays: [NO_EVIDENCE] },
  ],
  ["AdminTier, nothing served and Calico 3.32 detected: NetworkPolicy, degraded AdminTierNotServed", "AdminTier", NOTHING_SERVED, CALICO_332, { kind: "NetworkPolicy", reason: "AdminTierNotServed", degraded: "AdminTierNotServed", enforced: "True/Detected", says: [NOT_SERVED], enforcedSays: ["enforces NetworkPolicy"] }],
  [
    "AdminTier, only AdminNetworkPolicy served and Calico 3.32 detected: NetworkPolicy, degraded AdminTierNotEnforced",
    "AdminTier",
    ANP_ONLY_SERVED,
    CALICO_332,
    { kind: "NetworkPolicy", reason: "AdminTierNotEnforced", degraded: "AdminTierNotEnforced", enforced: "True/Detected", says: ["spec.enforcement is AdminTier, but", `${ANP_V1ALPHA1} is served`, "Calico v3.32.0 (detected: ClusterInformation default spec.calicoVersion) enforces NetworkPolicy, ClusterNetworkPolicy"], enforcedSays: ["enforces NetworkPolicy"] },
  ],
  ["AdminTier, ClusterNetworkPolicy served and Calico 3.28 detected: NetworkPolicy, degraded AdminTierNotEnforced", "AdminTier", CNP_BOTH, CALICO_328, { kind: "NetworkPolicy", reason: "AdminTierNotEnforced", degraded: "AdminTierNotEnforced", enforced: "True/Detected", says: [`${CNP_V1BETA1}, ${CNP_V1ALPHA2} is served`, "enforces NetworkPolicy"], enforcedSays: ["enforces NetworkPolicy"] }],
  [
    "AdminTier, everything served and flannel declared: NetworkPolicy, degraded, Enforced False",
    "AdminTier",
    ALL_SERVED,
    FLANNEL,
    { kind: "NetworkPolicy", reason: "AdminTierNotEnforced", degraded: "AdminTierNotEnforced", enforced: "False/NotEnforced", says: [SERVED_ALL, "flannel (declared: --data-plane-enforces) enforces nothing"], enforcedSays: ["enforces nothing", NOTHING_ISOLATES] },
  ],
  // NetworkPolicy: always NetworkPolicy; Enforced follows the data plane.
  ["NetworkPolicy, everything served and enforced: NetworkPolicy all the same", "NetworkPolicy", ALL_SERVED, EVERYTHING, { kind: "NetworkPolicy", reason: "Requested", degraded: undefined, enforced: "True/Declared", says: ["spec.enforcement is NetworkPolicy", "a tenant's NetworkPolicy can widen"], enforcedSays: ["enforces NetworkPolicy"] }],
  ["NetworkPolicy, felix 3.31 could enforce the served AdminNetworkPolicy: NetworkPolicy, Detected", "NetworkPolicy", CNP_BETA_AND_ANP, CALICO_331, { kind: "NetworkPolicy", reason: "Requested", degraded: undefined, enforced: "True/Detected", says: ["spec.enforcement is NetworkPolicy"], enforcedSays: ["Calico v3.31.0", "enforces NetworkPolicy"] }],
  ["NetworkPolicy on an unverified data plane: Enforced Unknown, never True", "NetworkPolicy", ALL_SERVED, UNVERIFIED, { kind: "NetworkPolicy", reason: "Requested", degraded: undefined, enforced: "Unknown/Unverified", says: ["spec.enforcement is NetworkPolicy"], enforcedSays: [NO_EVIDENCE, "the NetworkPolicy it writes"] }],
  ["NetworkPolicy on flannel declared to enforce nothing: Enforced False", "NetworkPolicy", NOTHING_SERVED, FLANNEL, { kind: "NetworkPolicy", reason: "Requested", degraded: undefined, enforced: "False/NotEnforced", says: ["spec.enforcement is NetworkPolicy"], enforcedSays: ["flannel", "enforces nothing", NOTHING_ISOLATES] }],
  ["NetworkPolicy on an AdminNetworkPolicy-only data plane: Enforced False", "NetworkPolicy", ANP_ONLY_SERVED, ANP_ONLY, { kind: "NetworkPolicy", reason: "Requested", degraded: undefined, enforced: "False/NotEnforced", says: ["spec.enforcement is NetworkPolicy"], enforcedSays: ["enforces AdminNetworkPolicy, not the NetworkPolicy netfence writes"] }],
  ["NetworkPolicy, nothing served and Calico 3.28 detected: Enforced True", "NetworkPolicy", NOTHING_SERVED, CALICO_328, { kind: "NetworkPolicy", reason: "Requested", degraded: undefined, enforced: "True/Detected", says: ["spec.enforcement is NetworkPolicy"], enforcedSays: ["Calico v3.28.2", "enforces NetworkPolicy"] }],
];

describe("chooseEnforcement", () => {
  it.each(rows)("%s", (_name, requested, served, plane, want) => {
    const choice = chooseEnforcement(requested, served, plane);
    expect({ requested: choice.requested, kind: choice.kind, reason: choice.reason, degraded: choice.degraded?.reason, enforced: `${choice.enforced.status}/${choice.enforced.reason}` }).toEqual({
      requested,
      kind: want.kind,
      reason: want.reason,
      degraded: want.degraded,
      enforced: want.enforced,
    });
    expect(choice.plane).toBe(plane);
    for (const s of want.says) expect(choice.message).toContain(s);
    if (choice.degraded) for (const s of want.says) expect(choice.degraded.message).toContain(s);
    for (const s of want.enforcedSays) expect(choice.enforced.message).toContain(s);
  });

  it.each(rows)("never picks what is not served, nor (Auto) what is not known to be enforced: %s", (_name, requested, served, plane) => {
    const choice = chooseEnforcement(requested, served, plane);
    if (choice.kind !== "NetworkPolicy") expect(served).toContain(choice.kind);
    if (requested === "Auto" && choice.kind !== "NetworkPolicy") {
      expect(plane.evidence).not.toBe("unverified");
      expect(plane.enforces).toContain(kindOf(choice.kind));
    }
  });

  it.each(rows)("claims isolation in force only where the data plane is known to enforce what is written, NetworkPolicy included: %s", (_name, requested, served, plane) => {
    const { kind, enforced } = chooseEnforcement(requested, served, plane);
    const known = plane.evidence !== "unverified" && plane.enforces.includes(kindOf(kind)) && plane.enforces.includes("NetworkPolicy");
    expect(enforced.status === "True").toBe(known);
    if (plane.evidence === "unverified") expect(enforced.status).toBe("Unknown");
  });

  it("does not depend on the order discovery lists the served kinds in", () => {
    const orders: AdminKind[][] = [
      [CNP_V1BETA1, CNP_V1ALPHA2, ANP_V1ALPHA1],
      [ANP_V1ALPHA1, CNP_V1BETA1, CNP_V1ALPHA2],
      [CNP_V1ALPHA2, ANP_V1ALPHA1, CNP_V1BETA1],
    ];
    for (const plane of [EVERYTHING, CALICO_331, CALICO_332, UNVERIFIED]) {
      for (const requested of ["Auto", "AdminTier"] as const) {
        const choices = orders.map((served) => chooseEnforcement(requested, served, plane));
        for (const c of choices) expect(c).toEqual(choices[0]);
      }
    }
  });
});

describe("kindOf", () => {
  it.each([
    [CNP_V1BETA1, "ClusterNetworkPolicy"],
    [CNP_V1ALPHA2, "ClusterNetworkPolicy"],
    [ANP_V1ALPHA1, "AdminNetworkPolicy"],
    ["NetworkPolicy", "NetworkPolicy"],
  ] as const)("%s is a %s", (kind, expected) => {
    expect(kindOf(kind)).toBe(expected);
  });
});

describe("calicoEnforces", () => {
  const NP: PolicyKind[] = ["NetworkPolicy"];
  const ANP: PolicyKind[] = ["NetworkPolicy", "AdminNetworkPolicy"];
  const CNP: PolicyKind[] = ["NetworkPolicy", "ClusterNetworkPolicy"];
  it.each([
    ["3.32 enforces ClusterNetworkPolicy and no longer AdminNetworkPolicy", "v3.32.0", CNP],
    ["3.32 without the v", "3.32.1", CNP],
    ["a 3.33 development build", "v3.33.0-0.dev-42-gabcdef0", CNP],
    ["a three-digit minor is compared as a number", "v3.100.0", CNP],
    ["a later major", "v4.0.0", CNP],
    ["3.31 enforces AdminNetworkPolicy", "v3.31.2", ANP],
    ["3.30 enforces AdminNetworkPolicy", "v3.30.0", ANP],
    ["3.29, the first with AdminNetworkPolicy", "v3.29.0", ANP],
    ["surrounding whitespace is ignored", "  v3.29.1\n", ANP],
    ["major and minor only", "v3.31", ANP],
    ["3.28 enforces NetworkPolicy only", "v3.28.2", NP],
    ["3.3 is not 3.30", "v3.3.0", NP],
    ["an old major", "v2.6.12", NP],
    ["an empty version is unreadable", "", undefined],
    ["a word is unreadable", "master", undefined],
    ["a prefix before the version is unreadable", "release-v3.31", undefined],
    ["a major without a minor is unreadable", "v3", undefined],
    ["two v's are unreadable", "vv3.31.0", undefined],
    ["a missing major is unreadable", "v.31.0", undefined],
  ])("%s (%j)", (_name, version, expected) => {
    expect(calicoEnforces(version)).toEqual(expected);
  });
});

describe("parseEnforces", () => {
  it.each([
    ["none declares a data plane that enforces nothing", "none", []],
    ["none with surrounding spaces", " none ", []],
    ["one kind", "NetworkPolicy", ["NetworkPolicy"]],
    ["two kinds", "NetworkPolicy,AdminNetworkPolicy", ["NetworkPolicy", "AdminNetworkPolicy"]],
    ["every kind, in the order given", "ClusterNetworkPolicy,AdminNetworkPolicy,NetworkPolicy", ["ClusterNetworkPolicy", "AdminNetworkPolicy", "NetworkPolicy"]],
    ["spaces around the kinds", " NetworkPolicy , ClusterNetworkPolicy ", ["NetworkPolicy", "ClusterNetworkPolicy"]],
    ["a repeated kind counts once", "NetworkPolicy,NetworkPolicy", ["NetworkPolicy"]],
    ["empty items are dropped", "NetworkPolicy,,AdminNetworkPolicy,", ["NetworkPolicy", "AdminNetworkPolicy"]],
  ] as const)("%s (%j)", (_name, value, kinds) => {
    expect(parseEnforces(value)).toEqual({ ok: true, kinds });
  });

  it.each([
    ["an empty value", ""],
    ["only commas and spaces", " , "],
    ["a data plane's name instead of kinds", "Calico"],
    ["a kind in the wrong case", "networkpolicy"],
    ["a kind netfence does not write", "NetworkPolicy,BaselineAdminNetworkPolicy"],
    ["a kind with its version", "ClusterNetworkPolicy/v1beta1"],
    ["none together with kinds", "none,NetworkPolicy"],
    ["None capitalised", "None"],
  ])("%s (%j) is refused, naming the flag, the value and what is expected", (_name, value) => {
    const parsed = parseEnforces(value);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.message).toMatch(/^--data-plane-enforces: /);
    expect(parsed.message).toContain(`got '${value}'`);
    expect(parsed.message).toContain("none");
    for (const kind of POLICY_KINDS) expect(parsed.message).toContain(kind);
  });
});
