import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it, jest } from "@jest/globals";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { UsageError } from "../../../src/cli/command.js";
import { computeDiff, diffCommand, formatDiffCsv, formatDiffJson, formatDiffMarkdown, formatDiffText, type DiffRequest } from "../../../src/cli/diff.js";
import { diffDot, matrixDot } from "../../../src/cli/dot.js";
import { main } from "../../../src/cli/index.js";
import { computeMatrix, formatJson } from "../../../src/cli/matrix.js";
import { diffSvg, matrixSvg } from "../../../src/cli/svg.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const walkthrough = join(root, "test/fixtures/walkthrough");
const cluster = join(walkthrough, "cluster.yaml");
const s2 = join(walkthrough, "s2-deny-ingress/policy.yaml");
const s4 = join(walkthrough, "s4-ipblock-except/policy.yaml");
const s3Profile = join(root, "deploy/samples/walkthrough/s3-deny-all.yaml");

const request = (before: string[], after: string[], extra: Partial<DiffRequest> = {}): DiffRequest => ({ before, after, ports: [], namespaces: [], externals: [], ...extra });

/** Runs the command as the CLI does, printing captured: [exit code, stdout]. */
async function run(argv: string[]): Promise<[number, string]> {
  const out: string[] = [];
  const log = jest.spyOn(console, "log").mockImplementation((line: unknown) => out.push(String(line)));
  const error = jest.spyOn(console, "error").mockImplementation((line: unknown) => out.push(`stderr: ${String(line)}`));
  try {
    return [await main(argv), out.join("\n")];
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe("netfence diff: exit codes (a CI gate)", () => {
  it.each<[string, string[], number]>([
    ["the same files: 0", ["--before", cluster, "--after", cluster], 0],
    ["a profile cutting dev off: 1", ["--before", cluster, "--after", cluster, "--after", s3Profile], 1],
    ["a change on another port only: 0 on port 80", ["--before", cluster, "--before", s2, "--after", cluster, "--after", s2, "--port", "80"], 0],
    ["a usage error: 2", ["--before", cluster], 2],
    ["a bad output format: 2", ["--before", cluster, "--after", cluster, "-o", "yaml"], 2],
  ])("%s", async (_name, argv, code) => {
    expect((await run(["diff", ...argv]))[0]).toBe(code);
  });
});

describe("netfence diff output", () => {
  it("prints the changed pairs grouped by namespace and by the profile that causes them", async () => {
    const { diff } = await computeDiff(request([cluster], [cluster, s3Profile], { namespaces: ["dev"] }));
    expect(formatDiffText(diff)).toBe(
      [
        "2 of 2 pairs change (TCP/80): 0 gained, 2 lost",
        "",
        "namespace dev",
        "  IsolationProfile walkthrough-s3-deny-all (NetworkPolicy dev/netfence-walkthrough-s3-deny-all added)",
        "    - lost    dev/nginx1 → dev/nginx3  TCP/80  egress of dev/nginx1 and ingress of dev/nginx3",
        "    - lost    dev/nginx3 → dev/nginx1  TCP/80  egress of dev/nginx3 and ingress of dev/nginx1",
      ].join("\n"),
    );
  });

  it("says when nothing changes", async () => {
    const { diff } = await computeDiff(request([cluster, s2], [cluster, s2], { ports: ["80,443"] }));
    expect(formatDiffText(diff)).toBe("no connectivity change: 24 pairs compared (TCP/80, TCP/443)");
  });

  it("compares several ports (comma-separated or repeated) and reports each", async () => {
    const { diff } = await computeDiff(request([cluster, s2], [cluster, s4], { ports: ["80,443", "443"], namespaces: ["dev"] }));
    expect(JSON.parse(formatDiffJson(diff))).toEqual({
      traffic: ["TCP/80", "TCP/443"],
      pairs: 4,
      gained: 2,
      lost: 0,
      changes: [80, 443].map((port) => ({
        from: "dev/nginx3",
        to: "dev/nginx1",
        protocol: "TCP",
        port,
        change: "gained",
        sides: ["Ingress"],
        causes: [{ kind: "NetworkPolicy", name: "dev/dev-netpolicy", namespace: "dev", change: "changed" }],
      })),
    });
  });

  it("prints -o csv, one row per pair, quoting where needed", async () => {
    const { diff } = await computeDiff(request([cluster], [cluster, s3Profile], { namespaces: ["dev"], protocol: "ICMP" }));
    expect(formatDiffCsv(diff)).toBe(
      [
        "change,from,to,protocol,port,sides,causes",
        "lost,dev/nginx1,dev/nginx3,ICMP,,Egress Ingress,NetworkPolicy dev/netfence-walkthrough-s3-deny-all added (IsolationProfile walkthrough-s3-deny-all)",
        "lost,dev/nginx3,dev/nginx1,ICMP,,Egress Ingress,NetworkPolicy dev/netfence-walkthrough-s3-deny-all added (IsolationProfile walkthrough-s3-deny-all)",
      ].join("\n"),
    );
  });

  it("prints -o md as a section per namespace and a table per cause", async () => {
    const { diff } = await computeDiff(request([cluster, s2], [cluster, s4], { namespaces: ["dev"] }));
    expect(formatDiffMarkdown(diff)).toBe(
      [
        "# Connectivity diff",
        "",
        "1 of 2 pairs change (TCP/80): 1 gained, 0 lost",
        "",
        "## Namespace `dev`",
        "",
        "### NetworkPolicy dev/dev-netpolicy changed",
        "",
        "| change | from | to | traffic | side |",
        "| --- | --- | --- | --- | --- |",
        "| ➕ gained | dev/nginx3 | dev/nginx1 | TCP/80 | ingress of dev/nginx1 |",
      ].join("\n"),
    );
  });

  it("prints -o dot with an edge per changed pair", async () => {
    const { diff } = await computeDiff(request([cluster, s2], [cluster, s4], { namespaces: ["dev"] }));
    expect(diffDot(diff)).toContain('  "dev/nginx3" -> "dev/nginx1" [color="#2e7d32", fontcolor="#2e7d32", style=solid, label="+ TCP/80", tooltip="NetworkPolicy dev/dev-netpolicy changed"];');
    expect(diffDot(diff).match(/->/g)).toHaveLength(1);
  });
});

describe("netfence diff usage errors (exit 2, one line naming the flag)", () => {
  const dir = mkdtempSync(join(tmpdir(), "netfence-diff-"));
  writeFileSync(join(dir, "p.yaml"), "apiVersion: netfence.io/v1alpha1\nkind: IsolationProfile\nmetadata: {name: p}\nspec: {preset: deny-all, namespaces: {names: [dev]}}\n");
  it.each<[string, Record<string, unknown>, string]>([
    ["neither mode", {}, "give --before FILE|DIR and --after FILE|DIR (each repeatable), or --live -f FILE|DIR"],
    ["--before alone", { before: [cluster] }, "give --before FILE|DIR and --after FILE|DIR (each repeatable), or --live -f FILE|DIR"],
    ["--live without -f", { live: true }, "--live needs -f FILE|DIR: the manifests (IsolationProfiles, NetworkPolicies, …) to add to the live cluster"],
    ["--live with --before", { live: true, filename: [cluster], before: [cluster] }, "--live compares the live cluster with the live cluster plus -f files; it cannot be combined with --before/--after"],
    ["-f without --live", { filename: [cluster] }, "-f is for --live (the live cluster plus files); compare two sets of files with --before and --after"],
    ["--kubeconfig without --live", { before: [cluster], after: [cluster], kubeconfig: "/tmp/kc" }, "--kubeconfig and --context read the live cluster: add --live"],
    ["a bad port in a list", { before: [cluster], after: [cluster], port: ["80,70000"] }, "--port 70000: a port is 1 to 65535"],
    ["a port with ICMP", { before: [cluster], after: [cluster], protocol: "ICMP", port: ["80"] }, "ICMP has no ports: drop --port or pick TCP, UDP or SCTP"],
    ["a bad output", { before: [cluster], after: [cluster], output: "xml" }, "-o xml: expected text, json, csv, md, svg or dot"],
    ["a bad external", { before: [cluster], after: [cluster], external: "dev/nginx1" }, "--external dev/nginx1: not an IP address"],
    ["a missing file", { before: [cluster], after: ["/nonexistent/x.yaml"] }, "/nonexistent/x.yaml: no such file or directory"],
  ])("%s", async (_name, values, message) => {
    await expect(diffCommand.run(values, [])).rejects.toEqual(new UsageError(message));
  });

  it("reports an invalid profile in --after by name and field", async () => {
    writeFileSync(join(dir, "bad.yaml"), "apiVersion: netfence.io/v1alpha1\nkind: IsolationProfile\nmetadata: {name: broken}\nspec: {preset: nope, namespaces: {names: [dev]}}\n");
    await expect(diffCommand.run({ before: [cluster], after: [cluster, join(dir, "bad.yaml")] }, [])).rejects.toThrow(/^invalid IsolationProfile:\n {2}broken: spec\.preset/);
  });
});

/** The cells of an SVG: [from, to, state] of every `g.cell`. */
function svgCells(svg: string): [string, string, string][] {
  // Deprecated in 5.x for the separate fast-xml-validator package, yet still the strict well-formedness check of the pinned version.
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  expect(XMLValidator.validate(svg)).toBe(true);
  const cells: [string, string, string][] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node !== null && typeof node === "object") {
      const record = node as Record<string, unknown>;
      if (record["@_class"] === "cell") cells.push([String(record["@_data-from"]), String(record["@_data-to"]), String(record["@_data-state"])]);
      Object.values(record).forEach(walk);
    }
  };
  walk(new XMLParser({ ignoreAttributes: false, isArray: (_name, _path, _leaf, isAttribute) => !isAttribute }).parse(svg));
  return cells;
}

describe("-o svg and -o dot", () => {
  it("matrix -o svg is well-formed XML with one cell per pair, agreeing with -o json", async () => {
    const { matrix } = await computeMatrix({ input: { filename: [cluster, s4] }, traffic: {}, namespaces: [], externals: ["192.0.2.10", "10.3.9.9"] });
    const json = (JSON.parse(formatJson(matrix)) as { from: string; to: string; allowed: boolean }[]).map((c) => [c.from, c.to, c.allowed ? "allowed" : "denied"]);
    expect(svgCells(matrixSvg(matrix)).sort()).toEqual(json.sort());
  });

  it("marks a port name the destination lacks with its own state and legend entry", async () => {
    const { matrix } = await computeMatrix({ input: { filename: [cluster] }, traffic: { port: "http" }, namespaces: ["dev"], externals: [] });
    const svg = matrixSvg(matrix);
    expect(svgCells(svg).map(([, , state]) => state)).toEqual(["unresolved", "unresolved"]);
    expect(svg).toContain("the destination has no such port (denied)");
  });

  it("escapes names for XML", async () => {
    const { matrix } = await computeMatrix({ input: { filename: [cluster] }, traffic: {}, namespaces: ["dev"], externals: [] });
    const renamed = { ...matrix, endpoints: matrix.endpoints.map((e, i) => (i === 0 ? { ...e, name: `dev/<a&"b'>` } : e)) };
    expect(svgCells(matrixSvg(renamed))).toContainEqual([`dev/<a&"b'>`, "dev/nginx3", "allowed"]);
  });

  it("diff -o svg marks gained and lost pairs, one cell per pair per port", async () => {
    const { diff } = await computeDiff(request([cluster, s2], [cluster, s4], { ports: ["80", "443"] }));
    const cells = svgCells(diffSvg(diff));
    expect(cells).toHaveLength(24);
    const marked = cells.filter(([, , s]) => s === "gained" || s === "lost").map((c) => c.join(" "));
    const expected = diff.changes.map((c) => `${c.from} ${c.to} ${c.change}`);
    expect(marked.sort()).toEqual(expected.sort());
    expect(marked).toHaveLength(12);
  });

  it("lays out 50 pods in 5 namespaces inside its canvas, column labels rotated, a rule between namespaces", async () => {
    const docs = [0, 1, 2, 3, 4].flatMap((n) => [
      `apiVersion: v1\nkind: Namespace\nmetadata: {name: team-${String(n)}}\n`,
      ...[...Array(10).keys()].map((p) => `apiVersion: v1\nkind: Pod\nmetadata: {name: service-${String(p)}-abcdef, namespace: team-${String(n)}}\nstatus: {podIP: 10.1.${String(n)}.${String(p + 1)}}\n`),
    ]);
    const file = join(mkdtempSync(join(tmpdir(), "netfence-svg-")), "fifty.yaml");
    writeFileSync(file, docs.join("---\n"));
    const { matrix } = await computeMatrix({ input: { filename: [file] }, traffic: {}, namespaces: [], externals: [] });
    const svg = matrixSvg(matrix);
    expect(svgCells(svg)).toHaveLength(50 * 49);
    const [width, height] = (/<svg [^>]*width="([\d.]+)" height="([\d.]+)"/.exec(svg) ?? []).slice(1).map(Number);
    const rects = [...svg.matchAll(/<rect (?:class="\w+" )?x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/g)].map((m) => m.slice(1).map(Number));
    const outside = rects.filter(([x = 0, y = 0, w = 0, h = 0]) => x + w > (width ?? 0) || y + h > (height ?? 0));
    expect({ rects: rects.length > 2450, outside, rotated: svg.match(/class="col" transform="translate\([\d. ]+\) rotate\(-90\)"/g)?.length, rules: svg.match(/class="split"/g)?.length }).toEqual({
      rects: true,
      outside: [],
      rotated: 50,
      rules: 8,
    });
  });

  it("matrix -o dot has an edge per allowed pair and a cluster per namespace", async () => {
    const { matrix } = await computeMatrix({ input: { filename: [cluster, s3Profile] }, traffic: {}, namespaces: [], externals: [] });
    const dot = matrixDot(matrix);
    expect(dot.match(/ -> /g)).toHaveLength(2);
    expect(dot).toContain('  subgraph "cluster_dev" {\n    label="dev";');
    expect(dot).toContain('  "test/nginx2" -> "test/nginx4";');
  });

  it("prints -o svg and -o dot from the command line", async () => {
    const [svgCode, svg] = await run(["matrix", "-f", cluster, "-o", "svg"]);
    const [dotCode, dot] = await run(["matrix", "-f", cluster, "-o", "dot"]);
    expect({ svgCode, dotCode, svg: svgCells(svg).length, dot: dot.startsWith("digraph netfence {") }).toEqual({ svgCode: 0, dotCode: 0, svg: 12, dot: true });
  });
});

describe("help", () => {
  it("netfence --help lists every command on its own line, summaries aligned, diff among them", async () => {
    const [code, text] = await run(["--help"]);
    const lines = text.split("\n").filter((l) => /^ {2}\S+ {2,}\S/.test(l));
    const columns = new Set(lines.map((l) => l.search(/(?<=^ {2}\S+ {2,})\S/)));
    expect({ code, diff: lines.some((l) => l.startsWith("  diff ")), columns: columns.size }).toEqual({ code: 0, diff: true, columns: 1 });
    expect(lines.map((l) => l.trim().split(/\s+/)[0])).toEqual(["run", "render", "matrix", "check", "explain", "diff", "controlplane", "demo", "dataplane", "probe"]);
  });

  it("netfence --help has nothing but command rows under each list's heading (a summary's second line is not a row)", async () => {
    const [, text] = await run(["--help"]);
    const sections = text.split("\n\n").filter((s) => /^(Commands|Development commands)\b/.test(s));
    const rows = sections.flatMap((s) => s.split("\n").slice(1));
    expect(rows.filter((l) => !/^ {2}\S+ {2,}\S/.test(l))).toEqual([]);
    expect(rows).toHaveLength(10);
  });

  it("netfence diff --help lists its flags", async () => {
    const [code, text] = await run(["diff", "--help"]);
    expect(code).toBe(0);
    for (const flag of ["--before <file|dir>", "--after <file|dir>", "--live", "-f, --filename <file|dir>", "--port <number|name,…>", "-o, --output <text|json|csv|md|svg|dot>", "-h, --help"]) expect(text).toContain(flag);
  });
});

describe("the images in docs/", () => {
  /** The commands docs/cli.md gives for its images: [argv after `node bin/netfence.js`, the file written]. */
  function imageCommands(): [string[], string][] {
    const doc = readFileSync(join(root, "docs/cli.md"), "utf8");
    const block = /The images in `docs\/images\/` are made[^`]*```sh\n([\s\S]*?)```/.exec(doc)?.[1] ?? "";
    const vars = Object.fromEntries([...block.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1] ?? "", m[2] ?? ""]));
    return block
      .replace(/\\\n\s*/g, "")
      .split("\n")
      .filter((l) => l.startsWith("node bin/netfence.js "))
      .map((l) => {
        const [command = "", file = ""] = l.split(" > ");
        const argv = command.split(/\s+/).slice(2).map((a) => a.replace(/\$(\w+)/g, (_m, v: string) => join(root, vars[v] ?? "")));
        return [argv, file.trim()];
      });
  }

  it("are what the commands docs/cli.md shows print today", async () => {
    const commands = imageCommands();
    expect(commands.map(([, file]) => file)).toEqual(["docs/images/walkthrough-s3.svg", "docs/images/walkthrough-s3.dot", "docs/images/diff-s2-to-s3.svg"]);
    for (const [argv, file] of commands) {
      const [, out] = await run(argv);
      expect({ file, same: `${out}\n` === readFileSync(join(root, file), "utf8") }).toEqual({ file, same: true });
    }
  });
});
