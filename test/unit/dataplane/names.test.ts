import { describe, expect, it } from "@jest/globals";
import { inRange, ipToNumber, numberToIp, parseRange } from "../../../src/dataplane/ipv4.js";
import { netnsName, runOfNetns, vethName } from "../../../src/dataplane/names.js";
import { disagreements, formatSideBySide } from "../../../src/demo/packets.js";
import type { MatrixCell } from "../../../src/policy/reachability.js";

describe("names of what a run creates", () => {
  it.each([
    ["dev/nginx1 gets the veth Calico CNI gives it", "dev", "nginx1", "caliad45f5689d2"],
    ["a host end is cali + 11 hex (15 characters, the kernel's limit)", "a-long-namespace-name", "a-long-pod-name", expect.stringMatching(/^cali[0-9a-f]{11}$/)],
  ])("%s", (_name, ns, pod, expected) => {
    expect(vethName(ns, pod)).toEqual(expected);
  });

  it.each([
    ["a namespace of a run", netnsName("0a1b2c", 7), "0a1b2c"],
    ["somebody else's namespace", "cni-1234", undefined],
    ["a near miss", "nfdp-xyz-1", undefined],
  ])("the run of %s", (_name, netns, run) => {
    expect(runOfNetns(netns)).toBe(run);
  });
});

describe("IPv4 ranges", () => {
  it.each([
    ["10.3.104.4 is in 10.3.0.0/16", "10.3.0.0/16", "10.3.104.4", true],
    ["10.4.0.1 is not", "10.3.0.0/16", "10.4.0.1", false],
    ["host bits of the range are ignored", "10.3.1.1/16", "10.3.255.255", true],
  ])("%s", (_name, cidr, ip, expected) => {
    expect(inRange(parseRange(cidr), ip)).toBe(expected);
  });

  it("numbers and addresses round-trip", () => {
    expect(numberToIp(ipToNumber("10.3.166.139"))).toBe("10.3.166.139");
  });

  it("refuses a range the pod range cannot be", () => {
    expect(() => parseRange("10.0.0.0/4")).toThrow("between /8 and /30");
  });
});

describe("predicted beside measured", () => {
  const cell = (from: string, to: string, allowed: boolean): MatrixCell => ({ from, to, protocol: "ICMP", allowed, egress: allowed, ingress: allowed });
  const predicted = [cell("a/x", "b/y", true), cell("b/y", "a/x", false)];

  it("names every pair where the packets differ from the prediction", () => {
    const measured = new Map([["a/x b/y", true], ["b/y a/x", true]]);
    expect(disagreements(predicted, measured)).toEqual(["b/y → a/x: predicted denied, packets got through"]);
  });

  it("marks the differing cell with ! in the measured grid only", () => {
    const text = formatSideBySide("ping", ["a/x", "b/y"], predicted, new Map([["a/x b/y", true], ["b/y a/x", true]]));
    const row = text.split("\n").find((l) => l.startsWith("2 b/y")) ?? "";
    expect(row.replace(/\s+/g, " ").trim()).toBe("2 b/y ✗ · ✓! ·");
  });
});
