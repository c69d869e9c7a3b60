/**
 * Steps of the network-policy-api v0.3.0 conformance suite
 * (conformance/tests/admin-network-policy-standard-gress-rules.go and
 * admin-network-policy-standard-priority.go), on its own objects
 * (test/fixtures/conformance/, copied from conformance/base/admin_tier/) and
 * its cluster (conformance/base/manifests.yaml: four houses, two pods each).
 * Each step mutates the policy as the suite does, cumulatively, and pokes the
 * same pairs expecting the same answers.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "@jest/globals";
import { parseManifests } from "../../../src/io/manifests.js";
import type { Namespace, Pod, Protocol } from "../../../src/k8s/objects.js";
import { buildIndex, evaluate, resolveEndpoint, type Endpoint, type ReachabilityIndex } from "../../../src/policy/reachability.js";

const HOUSES = { gryffindor: "harry-potter", slytherin: "draco-malfoy", hufflepuff: "cedric-diggory", ravenclaw: "luna-lovegood" } as const;
type House = keyof typeof HOUSES;
const nsOf = (house: House): string => `network-policy-conformance-${house}`;

function conformanceCluster(): { namespaces: Namespace[]; pods: Pod[] } {
  const houses = Object.keys(HOUSES) as House[];
  const namespaces = houses.map((house) => ({ metadata: { name: nsOf(house), labels: { "conformance-house": house } } }));
  const ports: [number, Protocol, string?][] = [[80, "TCP", "web"], [8080, "TCP"], [5353, "UDP"], [53, "UDP", "dns"], [9003, "SCTP"], [9005, "SCTP"]];
  const pods = houses.flatMap((house, h) =>
    [0, 1].map(
      (i): Pod => ({
        metadata: { name: `${HOUSES[house]}-${String(i)}`, namespace: nsOf(house), labels: { "conformance-house": house } },
        spec: { containers: ports.map(([containerPort, protocol, name]) => ({ name: `c-${String(containerPort)}`, ports: [{ containerPort, protocol, ...(name ? { name } : {}) }] })) },
        status: { podIP: `10.244.${String(h)}.${String(i + 10)}` },
      }),
    ),
  );
  return { namespaces, pods };
}

type Wire = Record<string, unknown> & { metadata: { name: string }; spec: { priority: number; ingress: unknown[]; egress: unknown[] } };

function fixture(file: string): Wire[] {
  const text = readFileSync(new URL(`../../fixtures/conformance/${file}`, import.meta.url), "utf8");
  return parseManifests(text, file) as unknown as Wire[];
}

function swap(list: unknown[], a: number, b: number): void {
  const x = list[a];
  list[a] = list[b];
  list[b] = x;
}

/** [client house, client pod index, server house, server pod index, protocol, port, allowed] */
type Poke = [House, number, House, number, Protocol, number, boolean];

function pokes(index: ReachabilityIndex, list: readonly Poke[]): string[] {
  const at = (house: House, i: number): Endpoint => {
    const parsed = resolveEndpoint(index, `${nsOf(house)}/${HOUSES[house]}-${String(i)}`);
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.value;
  };
  return list.map(([ch, ci, sh, si, protocol, port]) => `${ch}-${String(ci)} → ${sh}-${String(si)} ${protocol}/${String(port)}: ${String(evaluate(index, at(ch, ci), at(sh, si), { protocol, port }).allowed)}`);
}

function expected(list: readonly Poke[]): string[] {
  return list.map(([ch, ci, sh, si, protocol, port, allowed]) => `${ch}-${String(ci)} → ${sh}-${String(si)} ${protocol}/${String(port)}: ${String(allowed)}`);
}

describe("conformance: admin-network-policy-standard-gress-rules (gress-rules, cumulative steps)", () => {
  const policies = fixture("standard-gress-rules-combined.yaml");
  const gress = policies[0];
  if (!gress) throw new Error("fixture has no policy");
  const steps: [string, () => void, Poke[]][] = [
    [
      "Should support an 'allow-gress' policy across different protocols",
      () => undefined,
      [
        ["gryffindor", 0, "ravenclaw", 0, "TCP", 80, true], ["gryffindor", 1, "ravenclaw", 0, "UDP", 53, true], ["gryffindor", 0, "ravenclaw", 0, "SCTP", 9003, true],
        ["ravenclaw", 0, "gryffindor", 0, "TCP", 80, true], ["ravenclaw", 1, "gryffindor", 0, "UDP", 53, true], ["ravenclaw", 1, "gryffindor", 0, "SCTP", 9003, true],
      ],
    ],
    [
      "Should support an 'allow-gress' policy across different protocols at the specified ports",
      () => undefined,
      [
        ["gryffindor", 0, "hufflepuff", 0, "TCP", 8080, true], ["gryffindor", 1, "hufflepuff", 0, "TCP", 80, false], ["gryffindor", 0, "hufflepuff", 0, "UDP", 5353, true],
        ["gryffindor", 1, "hufflepuff", 0, "UDP", 53, false], ["gryffindor", 0, "hufflepuff", 0, "SCTP", 9003, true], ["gryffindor", 1, "hufflepuff", 0, "SCTP", 9005, false],
        ["hufflepuff", 0, "gryffindor", 0, "TCP", 80, true], ["hufflepuff", 1, "gryffindor", 0, "TCP", 8080, false], ["hufflepuff", 0, "gryffindor", 0, "UDP", 5353, true],
        ["hufflepuff", 1, "gryffindor", 0, "UDP", 53, false], ["hufflepuff", 0, "gryffindor", 0, "SCTP", 9003, true], ["hufflepuff", 1, "gryffindor", 0, "SCTP", 9005, false],
      ],
    ],
    [
      "Should support an 'deny-gress' policy across different protocols (rules 0 and 1 swapped)",
      () => {
        swap(gress.spec.egress, 0, 1);
        swap(gress.spec.ingress, 0, 1);
      },
      [
        ["gryffindor", 0, "ravenclaw", 1, "TCP", 80, false], ["gryffindor", 1, "ravenclaw", 1, "UDP", 53, false], ["gryffindor", 0, "ravenclaw", 1, "SCTP", 9003, false],
        ["ravenclaw", 0, "gryffindor", 0, "TCP", 80, false], ["ravenclaw", 1, "gryffindor", 0, "UDP", 53, false], ["ravenclaw", 1, "gryffindor", 0, "SCTP", 9003, false],
      ],
    ],
    [
      "Should support a 'deny-gress' policy across different protocols at the specified ports",
      () => undefined,
      [
        ["gryffindor", 0, "slytherin", 0, "TCP", 80, false], ["gryffindor", 1, "slytherin", 0, "TCP", 8080, true], ["gryffindor", 0, "slytherin", 0, "UDP", 53, false],
        ["gryffindor", 1, "slytherin", 0, "UDP", 5353, true], ["gryffindor", 0, "slytherin", 0, "SCTP", 9003, false], ["gryffindor", 1, "slytherin", 0, "SCTP", 9005, true],
        ["slytherin", 0, "gryffindor", 0, "TCP", 80, false], ["slytherin", 1, "gryffindor", 0, "TCP", 8080, true], ["slytherin", 0, "gryffindor", 0, "UDP", 53, false],
        ["slytherin", 1, "gryffindor", 0, "UDP", 5353, true], ["slytherin", 0, "gryffindor", 0, "SCTP", 9003, false], ["slytherin", 1, "gryffindor", 0, "SCTP", 9005, true],
      ],
    ],
    [
      "Should support an 'pass-gress' policy across different protocols (rules 0 and 2 swapped)",
      () => {
        swap(gress.spec.egress, 0, 2);
        swap(gress.spec.ingress, 0, 2);
      },
      [
        ["gryffindor", 0, "ravenclaw", 0, "TCP", 80, true], ["gryffindor", 0, "ravenclaw", 0, "UDP", 5353, true], ["gryffindor", 0, "ravenclaw", 0, "SCTP", 9003, true],
        ["ravenclaw", 0, "gryffindor", 0, "TCP", 80, true], ["ravenclaw", 1, "gryffindor", 0, "UDP", 53, true], ["ravenclaw", 1, "gryffindor", 0, "SCTP", 9003, true],
      ],
    ],
    [
      "Should support a 'pass-gress' policy across different protocols at the specified ports (rules 3 and 4 swapped)",
      () => {
        swap(gress.spec.egress, 3, 4);
        swap(gress.spec.ingress, 3, 4);
      },
      [
        ["gryffindor", 0, "slytherin", 0, "TCP", 80, true], ["gryffindor", 1, "slytherin", 0, "TCP", 8080, true], ["gryffindor", 0, "slytherin", 0, "UDP", 53, true],
        ["gryffindor", 1, "slytherin", 0, "UDP", 5353, true], ["gryffindor", 0, "slytherin", 0, "SCTP", 9003, true], ["gryffindor", 1, "slytherin", 0, "SCTP", 9005, true],
      ],
    ],
  ];
  it.each(steps)("%s", (_name, mutate, list) => {
    mutate();
    const index = buildIndex({ ...conformanceCluster(), policies: [], tierPolicies: structuredClone(policies) });
    expect({ warnings: index.warnings, pokes: pokes(index, list) }).toEqual({ warnings: [], pokes: expected(list) });
  });
});

describe("conformance: admin-network-policy-standard-priority (priority-50, priority 60 → 40, Baseline default)", () => {
  const policies = fixture("standard-priority-field.yaml");
  const steps: [string, () => void, Poke[]][] = [
    ["Should Deny traffic from slytherin to gryffindor respecting admin CNP", () => undefined, [["slytherin", 0, "gryffindor", 0, "TCP", 80, false], ["slytherin", 1, "gryffindor", 0, "TCP", 8080, false]]],
    ["Should Deny traffic to slytherin from gryffindor respecting admin CNP", () => undefined, [["gryffindor", 0, "slytherin", 0, "TCP", 80, false], ["gryffindor", 1, "slytherin", 0, "TCP", 8080, false]]],
    [
      "Should respect admin CNP priority field; thus passing both ingress and egress traffic over to baseline CNP",
      () => {
        const pass = policies.find((p) => p.metadata.name === "old-priority-60-new-priority-40-example");
        if (pass) pass.spec.priority = 40;
      },
      [["slytherin", 0, "gryffindor", 0, "TCP", 80, true], ["slytherin", 1, "gryffindor", 0, "TCP", 8080, true], ["gryffindor", 0, "slytherin", 0, "TCP", 80, true], ["gryffindor", 1, "slytherin", 0, "TCP", 8080, true]],
    ],
  ];
  it.each(steps)("%s", (_name, mutate, list) => {
    mutate();
    const index = buildIndex({ ...conformanceCluster(), policies: [], tierPolicies: structuredClone(policies) });
    expect({ warnings: index.warnings, pokes: pokes(index, list) }).toEqual({ warnings: [], pokes: expected(list) });
  });
});
