import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "@jest/globals";
import type { Probe } from "../../../src/demo/walkthrough.js";
import { parseManifests } from "../../../src/io/manifests.js";
import { toClusterInput } from "../../../src/policy/reach-input.js";
import { buildIndex, evaluate, matrix, matrixCells, resolveEndpoint, type Endpoint, type ReachabilityIndex, type Traffic } from "../../../src/policy/reachability.js";

/**
 * The central acceptance test: every probe of every walkthrough state
 * (test/fixtures/walkthrough/*\/expect.json), through both evaluate() and matrix().
 */
const root = join(dirname(fileURLToPath(import.meta.url)), "../../fixtures/walkthrough");

interface Expect {
  cluster: string;
  policies: string[];
  addLabels?: Record<string, Record<string, string>>;
  probes: Probe[];
}

const states = [
  "s1-baseline",
  "s2-deny-ingress",
  "s3-deny-all",
  "s4-ipblock-except",
  "s5-same-namespace-label",
  "s5-same-namespace-label/after-labeling-nginx3",
];

function load(state: string): { index: ReachabilityIndex; expect: Expect } {
  const dir = join(root, state);
  const expectation = JSON.parse(readFileSync(join(dir, "expect.json"), "utf8")) as Expect;
  const files = [expectation.cluster, ...expectation.policies].map((f) => resolve(dir, f));
  const objects = files.flatMap((f) => parseManifests(readFileSync(f, "utf8"), f));
  const input = toClusterInput(objects);
  expect(input.errors).toEqual([]);
  const pods = input.cluster.pods.map((pod) => {
    const extra = expectation.addLabels?.[`${pod.metadata.namespace ?? "default"}/${pod.metadata.name}`];
    return extra ? { ...pod, metadata: { ...pod.metadata, labels: { ...pod.metadata.labels, ...extra } } } : pod;
  });
  return { index: buildIndex({ ...input.cluster, pods }), expect: expectation };
}

function endpoint(index: ReachabilityIndex, text: string): Endpoint {
  const parsed = resolveEndpoint(index, text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

function traffic(probe: Probe): Traffic {
  return probe.protocol === "ICMP" ? { protocol: "ICMP" } : { protocol: probe.protocol, port: probe.port ?? 80 };
}

describe.each(states)("walkthrough %s", (state) => {
  const { index, expect: expectation } = load(state);

  it("has no warnings", () => {
    expect(index.warnings).toEqual([]);
  });

  it.each(expectation.probes.map((p) => [`${p.from} → ${p.to} ${p.protocol}${p.port ? `/${String(p.port)}` : ""} is ${p.allowed ? "allowed" : "denied"}`, p] as const))(
    "evaluate: %s",
    (_name, probe) => {
      expect(evaluate(index, endpoint(index, probe.from), endpoint(index, probe.to), traffic(probe)).allowed).toBe(probe.allowed);
    },
  );

  it.each([["ICMP"], ["TCP"]] as const)("the full %s matrix equals expect.json", (protocol) => {
    const probes = expectation.probes.filter((p) => p.protocol === protocol);
    const cells = matrixCells(matrix(index, protocol === "ICMP" ? { protocol } : { protocol, port: 80 }));
    expect(cells.map((c) => ({ from: c.from, to: c.to, allowed: c.allowed })).sort(byPair)).toEqual(probes.map((p) => ({ from: p.from, to: p.to, allowed: p.allowed })).sort(byPair));
  });
});

function byPair(a: { from: string; to: string }, b: { from: string; to: string }): number {
  return `${a.from} ${a.to}`.localeCompare(`${b.from} ${b.to}`);
}
