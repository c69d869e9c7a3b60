import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it, jest } from "@jest/globals";
import { stringify } from "yaml";
import { UsageError } from "../../../src/cli/command.js";
import { computeMatrix, formatJson, formatTable, matrixCommand } from "../../../src/cli/matrix.js";
import type { Probe } from "../../../src/demo/walkthrough.js";
import { parseManifests } from "../../../src/io/manifests.js";
import { matrixCells } from "../../../src/policy/reachability.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const walkthrough = join(root, "test/fixtures/walkthrough");
const cluster = join(walkthrough, "cluster.yaml");
const samples = join(root, "deploy/samples/walkthrough");

function probes(state: string): Probe[] {
  return (JSON.parse(readFileSync(join(walkthrough, state, "expect.json"), "utf8")) as { probes: Probe[] }).probes;
}

/** cluster.yaml with labels added to pods (expect.json's addLabels), written to a temporary file. */
function labelledCluster(addLabels: Record<string, Record<string, string>>): string {
  const objects = parseManifests(readFileSync(cluster, "utf8"), cluster).map(({ __source: _s, ...obj }) => {
    const meta = obj.metadata as { name: string; namespace?: string; labels?: Record<string, string> };
    const extra = addLabels[`${meta.namespace ?? ""}/${meta.name}`];
    return extra ? { ...obj, metadata: { ...meta, labels: { ...meta.labels, ...extra } } } : obj;
  });
  const file = join(mkdtempSync(join(tmpdir(), "netfence-matrix-")), "cluster.yaml");
  writeFileSync(file, objects.map((o) => stringify(o)).join("---\n"));
  return file;
}

const silent = { input: {}, namespaces: [], externals: [] };

describe("matrix -f with the walkthrough IsolationProfile samples reproduces expect.json", () => {
  it.each<[string, string, string[]]>([
    ["s1 (no profile)", "s1-baseline", [cluster]],
    ["s2", "s2-deny-ingress", [cluster, join(samples, "s2-deny-ingress.yaml")]],
    ["s3", "s3-deny-all", [cluster, join(samples, "s3-deny-all.yaml")]],
    ["s4", "s4-ipblock-except", [cluster, join(samples, "s4-ipblock-except.yaml")]],
    ["s5", "s5-same-namespace-label", [cluster, join(samples, "s5-same-namespace-label.yaml")]],
    [
      "s5 after labeling nginx3",
      "s5-same-namespace-label/after-labeling-nginx3",
      [labelledCluster({ "dev/nginx3": { access_nginx1: "true" } }), join(samples, "s5-same-namespace-label.yaml")],
    ],
  ])("%s", async (_name, state, files) => {
    const want = probes(state);
    for (const protocol of ["ICMP", "TCP"] as const) {
      const { matrix } = await computeMatrix({ ...silent, input: { filename: files }, traffic: { protocol } });
      const got = matrixCells(matrix).map((c) => `${c.from} → ${c.to} ${c.protocol}: ${String(c.allowed)}`);
      const expected = want.filter((p) => p.protocol === protocol).map((p) => `${p.from} → ${p.to} ${p.protocol}: ${String(p.allowed)}`);
      expect(got.sort()).toEqual(expected.sort());
    }
  });
});

describe("matrix output", () => {
  it("prints a grid with a legend", async () => {
    const { matrix } = await computeMatrix({ ...silent, input: { filename: [cluster, join(walkthrough, "s2-deny-ingress/policy.yaml")] }, traffic: {} });
    expect(formatTable(matrix)).toBe(
      [
        "TCP/80 — rows: from, columns: to",
        "",
        "from \\ to    dev/nginx1  dev/nginx3  test/nginx2  test/nginx4",
        "dev/nginx1       ·           ✗            ✓            ✓",
        "dev/nginx3       ✗           ·            ✓            ✓",
        "test/nginx2      ✗           ✗            ·            ✓",
        "test/nginx4      ✗           ✗            ✓            ·",
        "",
        "✓ allowed   ✗ denied   · same pod (always allowed)",
        "12 pairs: 6 allowed, 6 denied. Run 'netfence check --from A --to B' for the reason.",
      ].join("\n"),
    );
  });

  it("numbers the columns when names would be too wide", async () => {
    const { matrix } = await computeMatrix({ ...silent, input: { filename: [cluster] }, traffic: { protocol: "icmp" } });
    const lines = formatTable(matrix, 40).split("\n");
    expect(lines[2]).toBe("from \\ to      1  2  3  4");
    expect(lines[3]).toBe("1 dev/nginx1   ·  ✓  ✓  ✓");
  });

  it("prints -o json as {from, to, port, protocol, allowed}, outside addresses included", async () => {
    const { matrix } = await computeMatrix({ input: { filename: [cluster, join(walkthrough, "s4-ipblock-except/policy.yaml")] }, traffic: { port: "80" }, namespaces: ["dev"], externals: ["10.3.9.9", "192.0.2.10"] });
    expect(JSON.parse(formatJson(matrix))).toEqual([
      { from: "dev/nginx1", to: "dev/nginx3", port: 80, protocol: "TCP", allowed: false },
      { from: "dev/nginx1", to: "10.3.9.9", port: 80, protocol: "TCP", allowed: false },
      { from: "dev/nginx1", to: "192.0.2.10", port: 80, protocol: "TCP", allowed: false },
      { from: "dev/nginx3", to: "dev/nginx1", port: 80, protocol: "TCP", allowed: true },
      { from: "dev/nginx3", to: "10.3.9.9", port: 80, protocol: "TCP", allowed: true },
      { from: "dev/nginx3", to: "192.0.2.10", port: 80, protocol: "TCP", allowed: true },
      { from: "10.3.9.9", to: "dev/nginx1", port: 80, protocol: "TCP", allowed: true },
      { from: "10.3.9.9", to: "dev/nginx3", port: 80, protocol: "TCP", allowed: true },
      { from: "192.0.2.10", to: "dev/nginx1", port: 80, protocol: "TCP", allowed: false },
      { from: "192.0.2.10", to: "dev/nginx3", port: 80, protocol: "TCP", allowed: true },
    ]);
  });

  it("marks a port name the destination lacks", async () => {
    const { matrix } = await computeMatrix({ ...silent, input: { filename: [cluster] }, traffic: { port: "http" }, namespaces: ["dev"] });
    expect(formatTable(matrix)).toContain("? the destination has no such port");
    expect(JSON.parse(formatJson(matrix))).toContainEqual({ from: "dev/nginx1", to: "dev/nginx3", port: "http", protocol: "TCP", allowed: false });
  });
});

describe("matrix usage errors (exit 2, one line, no stack)", () => {
  it.each<[string, Record<string, unknown>, string]>([
    ["an unknown protocol", { filename: [cluster], protocol: "GRE" }, "unknown protocol 'GRE': expected TCP, UDP, SCTP or ICMP"],
    ["a port with ICMP", { filename: [cluster], protocol: "ICMP", port: "80" }, "ICMP has no ports: drop --port or pick TCP, UDP or SCTP"],
    ["a port out of range", { filename: [cluster], port: "70000" }, "--port 70000: a port is 1 to 65535"],
    ["a bad port name", { filename: [cluster], port: "Not_A_Name" }, "--port 'Not_A_Name': expected a number or a container port name (lowercase letters, digits, '-', up to 15)"],
    ["a bad output format", { filename: [cluster], output: "yaml" }, "-o yaml: expected table, json, svg or dot"],
    ["a bad external", { filename: [cluster], external: "dev/nginx1" }, "--external dev/nginx1: not an IP address"],
    ["a missing file", { filename: ["/nonexistent/x.yaml"] }, "/nonexistent/x.yaml: no such file or directory"],
    ["-f with --kubeconfig", { filename: [cluster], kubeconfig: "/tmp/kc" }, "--kubeconfig and --context read the live cluster; they cannot be combined with -f"],
  ])("%s", async (_name, values, message) => {
    const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      await expect(matrixCommand.run(values, [])).rejects.toEqual(new UsageError(message));
    } finally {
      log.mockRestore();
    }
  });

  it("names the file, object and field of a malformed manifest", async () => {
    const dir = mkdtempSync(join(tmpdir(), "netfence-bad-"));
    writeFileSync(
      join(dir, "bad.yaml"),
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: dev}\nspec:\n  podSelector: {}\n  ingress:\n  - from: [{ipBlock: {cidr: 10.3.0.0/16, except: [10.9.0.0/24]}}]\n    ports: [{protocol: TCP, port: 80, endPort: 79}]\n",
    );
    await expect(matrixCommand.run({ filename: [dir] }, [])).rejects.toThrow(
      `invalid input:\n  ${dir}/bad.yaml#1: NetworkPolicy dev/p: spec.ingress[0].from[0].ipBlock: except[0]: 10.9.0.0/24 is not strictly inside 10.3.0.0/16\n  ${dir}/bad.yaml#1: NetworkPolicy dev/p: spec.ingress[0].ports[0].endPort: must be at least port (80)`,
    );
  });

  it("reports an invalid IsolationProfile through the renderer's messages", async () => {
    const dir = mkdtempSync(join(tmpdir(), "netfence-bad-"));
    writeFileSync(join(dir, "profile.yaml"), "apiVersion: netfence.io/v1alpha1\nkind: IsolationProfile\nmetadata: {name: broken}\nspec: {preset: nope, namespaces: {names: [dev]}}\n");
    await expect(matrixCommand.run({ filename: [cluster, dir] }, [])).rejects.toThrow(/^invalid IsolationProfile:\n {2}broken: spec\.preset/);
  });
});
