import { describe, expect, it } from "@jest/globals";
import { noPacketsNotice, packetsFailedNotice, predictedCheckLines, predictedGrid, summaryLines, type ProtocolCheck } from "../../../src/demo/labels.js";

const agreed: ProtocolCheck[] = [
  { protocol: "ICMP", matched: 12, total: 12, mismatches: [] },
  { protocol: "TCP/80", matched: 12, total: 12, mismatches: [] },
];
const oneWrong: ProtocolCheck[] = [
  { protocol: "ICMP", matched: 11, total: 12, mismatches: ["test/nginx2 → dev/nginx1: expected denied, got allowed"] },
  { protocol: "TCP/80", matched: 12, total: 12, mismatches: [] },
];
const nothingCompared: ProtocolCheck[] = [{ protocol: "ICMP", matched: 0, total: 0, mismatches: [] }];

describe("the demo's labels when no packet is sent", () => {
  it.each<[string, string[]]>([
    ["the machine cannot send packets", [noPacketsNotice("the data plane needs root with CAP_NET_ADMIN (network namespaces, routes, netfilter)")]],
    ["the data plane failed to start", [packetsFailedNotice("felix exited 1")]],
    ["a grid", [predictedGrid("ICMP — rows: from, columns: to\n\nfrom \\ to    dev/nginx1\n")]],
    ["a step whose grids agree", predictedCheckLines(agreed)],
    ["a step with a mismatch", predictedCheckLines(oneWrong)],
    ["the summary", summaryLines(5, 5, undefined)],
  ])("%s: says predicted and never ping", (_name, lines) => {
    const text = lines.join("\n");
    expect(text).toMatch(/predict/);
    expect(text).not.toMatch(/ping/i);
  });

  it.each<[string, ProtocolCheck[], string[]]>([
    ["both protocols agree", agreed, ["✓ predicted ICMP: 12/12 pairs as in the walkthrough   ✓ predicted TCP/80: 12/12 pairs as in the walkthrough"]],
    [
      "a mismatch is marked and named",
      oneWrong,
      ["✗ predicted ICMP: 11/12 pairs as in the walkthrough   ✓ predicted TCP/80: 12/12 pairs as in the walkthrough", "  ✗ predicted ICMP test/nginx2 → dev/nginx1: expected denied, got allowed"],
    ],
    ["nothing to compare is not a match", nothingCompared, ["✗ predicted ICMP: 0/0 pairs as in the walkthrough"]],
  ])("check lines: %s", (_name, checks, expected) => {
    expect(predictedCheckLines(checks)).toEqual(expected);
  });
});

describe("the demo's last lines", () => {
  it.each<[string, number, number | undefined, string[]]>([
    ["predicted only: no real-packet line", 5, undefined, ["walkthrough reproduced in netfence's prediction: 5/5 states match"]],
    ["with real packets: their count last", 5, 5, ["walkthrough reproduced in netfence's prediction: 5/5 states match", "walkthrough reproduced with real packets: 5/5 states"]],
    ["packets that disagree in one state", 5, 4, ["walkthrough reproduced in netfence's prediction: 5/5 states match", "walkthrough reproduced with real packets: 4/5 states"]],
  ])("%s", (_name, predicted, packets, expected) => {
    expect(summaryLines(5, predicted, packets)).toEqual(expected);
  });
});
