import { describe, expect, it } from "@jest/globals";
import { policyName, profileLabelValue } from "../../../src/policy/naming.js";

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

describe("policyName", () => {
  it.each<[string, string, string]>([
    ["prefixes a short profile name", "dev", "netfence-dev"],
    ["keeps dots of a DNS-subdomain profile name", "team.a", "netfence-team.a"],
    ["keeps a name that just fits", "a".repeat(244), `netfence-${"a".repeat(244)}`],
  ])("%s", (_name, profile, expected) => {
    expect(policyName(profile)).toBe(expected);
  });

  it.each<[string, string]>([
    ["one character too long", "a".repeat(245)],
    ["the longest profile name", "b".repeat(253)],
    ["a long name whose cut ends on a dot", `${"c".repeat(232)}.${"d".repeat(20)}`],
  ])("hashes a profile name that is %s into a valid name of at most 253", (_name, profile) => {
    const name = policyName(profile);
    expect(name.length).toBeLessThanOrEqual(253);
    expect(name).toMatch(DNS_SUBDOMAIN);
    expect(name.startsWith("netfence-")).toBe(true);
    expect(policyName(profile)).toBe(name);
  });

  it("gives two long names that share a prefix different policy names", () => {
    expect(policyName(`${"x".repeat(250)}-1`)).not.toBe(policyName(`${"x".repeat(250)}-2`));
  });
});

describe("profileLabelValue", () => {
  it.each<[string, string, boolean]>([
    ["is the name itself up to 63 characters", "a".repeat(63), true],
    ["is shortened with a hash beyond 63", "a".repeat(64), false],
  ])("%s", (_name, profile, same) => {
    const value = profileLabelValue(profile);
    expect(value === profile).toBe(same);
    expect(value.length).toBeLessThanOrEqual(63);
    expect(value).toMatch(LABEL_VALUE);
  });
});
