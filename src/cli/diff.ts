import { diffConnectivity, describeChangeTraffic, groupByCause, type ConnectivityDiff, type PairChange } from "../policy/diff.js";
import { overlay } from "../policy/overlay.js";
import { describeTraffic, type Traffic } from "../policy/ports.js";
import { resolveEndpoint } from "../policy/reachability.js";
import { command, UsageError } from "./command.js";
import { diffDot } from "./dot.js";
import { INPUT_OPTIONS, loadInputs, loadObjects, parseTraffic, readLiveObjects, readManifestsOrFail, splitList, TRAFFIC_OPTIONS, type LoadedInputs } from "./inputs.js";
import { diffSvg } from "./svg.js";

export interface DiffRequest {
  /** --before / --after: two sets of manifests. */
  before?: readonly string[];
  after?: readonly string[];
  /** --live: the live cluster, and the live cluster with `files` applied. */
  live?: boolean;
  files?: readonly string[];
  kubeconfig?: string;
  context?: string;
  protocol?: string;
  /** Port texts as given ("80", "80,443", "http"); empty: the default (80, none for ICMP). */
  ports: readonly string[];
  namespaces: readonly string[];
  externals: readonly string[];
}

/** --protocol and every --port as probes (duplicates dropped). */
export function parseTraffics(protocol: string | undefined, ports: readonly string[]): Traffic[] {
  const texts = [...new Set(ports.flatMap((p) => splitList(p)))];
  if (texts.length === 0) return [parseTraffic({ ...(protocol === undefined ? {} : { protocol }) })];
  return texts.map((port) => parseTraffic({ ...(protocol === undefined ? {} : { protocol }), port }));
}

/** Both states, from two sets of files or from the live cluster read once. */
async function loadStates(request: DiffRequest): Promise<{ before: LoadedInputs; after: LoadedInputs; beforeName: string; afterName: string }> {
  const before = request.before ?? [];
  const after = request.after ?? [];
  const files = request.files ?? [];
  const liveFlags = request.kubeconfig !== undefined || request.context !== undefined;
  if (request.live === true) {
    if (before.length > 0 || after.length > 0) throw new UsageError("--live compares the live cluster with the live cluster plus -f files; it cannot be combined with --before/--after");
    if (files.length === 0) throw new UsageError("--live needs -f FILE|DIR: the manifests (IsolationProfiles, NetworkPolicies, …) to add to the live cluster");
    const fileObjects = await readManifestsOrFail(files);
    const { objects, server, notes } = await readLiveObjects({ ...(request.kubeconfig === undefined ? {} : { kubeconfig: request.kubeconfig }), ...(request.context === undefined ? {} : { context: request.context }) }, request.namespaces);
    const withNotes = (loaded: LoadedInputs): LoadedInputs => ({ ...loaded, notes: [...notes, ...loaded.notes] });
    return { before: withNotes(loadObjects(objects, server)), after: withNotes(loadObjects(overlay(objects, fileObjects), server)), beforeName: `the live cluster at ${server}`, afterName: `the live cluster plus ${files.join(", ")}` };
  }
  if (files.length > 0) throw new UsageError("-f is for --live (the live cluster plus files); compare two sets of files with --before and --after");
  if (liveFlags) throw new UsageError("--kubeconfig and --context read the live cluster: add --live");
  if (before.length === 0 || after.length === 0) throw new UsageError("give --before FILE|DIR and --after FILE|DIR (each repeatable), or --live -f FILE|DIR");
  return { before: await loadInputs({ filename: [...before] }), after: await loadInputs({ filename: [...after] }), beforeName: before.join(", "), afterName: after.join(", ") };
}

/** Loads both states and diffs them: what the CLI runs, and what tests call in-process. */
export async function computeDiff(request: DiffRequest): Promise<{ diff: ConnectivityDiff; notes: string[]; beforeName: string; afterName: string }> {
  const traffics = parseTraffics(request.protocol, request.ports);
  const states = await loadStates(request);
  for (const external of request.externals) {
    if (!resolveEndpoint(states.after.index, external).ok || external.includes("/")) throw new UsageError(`--external ${external}: not an IP address`);
  }
  const diff = diffConnectivity(states.before.index, states.after.index, traffics, { namespaces: request.namespaces, externals: request.externals });
  const notes = [...new Set([...states.before.notes.map((n) => `before: ${n}`), ...states.after.notes.map((n) => `after: ${n}`)])];
  return { diff, notes, beforeName: states.beforeName, afterName: states.afterName };
}

function side(change: PairChange): string {
  if (change.sides.length === 0) return change.change === "gained" ? "an end is new" : "an end is gone";
  return change.sides.map((s) => (s === "Egress" ? `egress of ${change.from}` : `ingress of ${change.to}`)).join(" and ");
}

function summary(diff: ConnectivityDiff): string {
  const gained = diff.changes.filter((c) => c.change === "gained").length;
  const lost = diff.changes.length - gained;
  const traffic = diff.traffics.map(describeTraffic).join(", ");
  if (diff.changes.length === 0) return `no connectivity change: ${String(diff.pairs)} pairs compared (${traffic})`;
  return `${String(diff.changes.length)} of ${String(diff.pairs)} pairs change (${traffic}): ${String(gained)} gained, ${String(lost)} lost`;
}

/** Text: changes grouped by namespace, then by the profile or object that causes them. */
export function formatDiffText(diff: ConnectivityDiff): string {
  const lines = [summary(diff)];
  const groups = groupByCause(diff.changes);
  const pad = (s: string, n: number) => s.padEnd(n);
  const fromWidth = Math.max(0, ...diff.changes.map((c) => c.from.length));
  const toWidth = Math.max(0, ...diff.changes.map((c) => c.to.length));
  const trafficWidth = Math.max(0, ...diff.changes.map((c) => describeChangeTraffic(c).length));
  let namespace: string | undefined;
  for (const group of groups) {
    if (group.namespace !== namespace) {
      namespace = group.namespace;
      lines.push("", `namespace ${namespace}`);
    }
    lines.push(`  ${group.title}`);
    for (const c of group.changes) {
      lines.push(`    ${c.change === "gained" ? "+ gained" : "- lost  "}  ${pad(c.from, fromWidth)} → ${pad(c.to, toWidth)}  ${pad(describeChangeTraffic(c), trafficWidth)}  ${side(c)}`);
    }
  }
  return lines.join("\n");
}

/** `-o json`: the summary and one record per changed pair with its causes. */
export function formatDiffJson(diff: ConnectivityDiff): string {
  const gained = diff.changes.filter((c) => c.change === "gained").length;
  return JSON.stringify(
    {
      traffic: diff.traffics.map(describeTraffic),
      pairs: diff.pairs,
      gained,
      lost: diff.changes.length - gained,
      changes: diff.changes.map((c) => ({ from: c.from, to: c.to, protocol: c.protocol, ...(c.port === undefined ? {} : { port: c.port }), change: c.change, sides: c.sides, causes: c.causes })),
    },
    null,
    2,
  );
}

function csvField(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function causeText(c: PairChange["causes"][number]): string {
  return `${c.kind} ${c.name} ${c.change}${c.profile === undefined ? "" : ` (IsolationProfile ${c.profile})`}`;
}

/** `-o csv`: one row per changed pair; causes separated by "; ". */
export function formatDiffCsv(diff: ConnectivityDiff): string {
  const rows = [["change", "from", "to", "protocol", "port", "sides", "causes"]];
  for (const c of diff.changes) rows.push([c.change, c.from, c.to, c.protocol, c.port === undefined ? "" : String(c.port), c.sides.join(" "), c.causes.map(causeText).join("; ")]);
  return rows.map((r) => r.map(csvField).join(",")).join("\n");
}

function mdCell(text: string): string {
  return text.replace(/\|/g, "\\|");
}

/** `-o md`: a section per namespace, a table per profile or object (for a pull request comment). */
export function formatDiffMarkdown(diff: ConnectivityDiff): string {
  const lines = ["# Connectivity diff", "", summary(diff)];
  let namespace: string | undefined;
  for (const group of groupByCause(diff.changes)) {
    if (group.namespace !== namespace) {
      namespace = group.namespace;
      lines.push("", `## Namespace \`${mdCell(namespace)}\``);
    }
    lines.push("", `### ${mdCell(group.title)}`, "", "| change | from | to | traffic | side |", "| --- | --- | --- | --- | --- |");
    for (const c of group.changes) lines.push(`| ${c.change === "gained" ? "➕ gained" : "➖ lost"} | ${mdCell(c.from)} | ${mdCell(c.to)} | ${describeChangeTraffic(c)} | ${mdCell(side(c))} |`);
  }
  return lines.join("\n");
}

const FORMATS: Partial<Record<string, (diff: ConnectivityDiff) => string>> = {
  text: formatDiffText,
  json: formatDiffJson,
  csv: formatDiffCsv,
  md: formatDiffMarkdown,
  svg: (d) => diffSvg(d).trimEnd(),
  dot: (d) => diffDot(d).trimEnd(),
};

export const diffCommand = command({
  name: "diff",
  summary:
    "Show which pairs (from, to, protocol/port) gain or lose connectivity between two sets of manifests, or what files would change on the live cluster; exit 0 no change, 1 changes, 2 usage or input error.",
  options: {
    before: { type: "string", multiple: true, valueName: "file|dir", description: "the manifests before the change (repeatable)" },
    after: { type: "string", multiple: true, valueName: "file|dir", description: "the manifests after the change (repeatable)" },
    live: { type: "boolean", description: "compare the live cluster with the live cluster plus the -f files (IsolationProfiles rendered as the operator would)" },
    filename: { ...INPUT_OPTIONS.filename, description: "with --live: manifests to add to the live cluster (IsolationProfiles, NetworkPolicies, Pods, Namespaces); repeatable" },
    kubeconfig: INPUT_OPTIONS.kubeconfig,
    context: INPUT_OPTIONS.context,
    namespace: { type: "string", short: "n", valueName: "ns,…", description: "only pods in these namespaces (comma-separated; default all)" },
    protocol: TRAFFIC_OPTIONS.protocol,
    port: { type: "string", multiple: true, valueName: "number|name,…", description: "destination ports or container port names (comma-separated or repeated; default 80; not with ICMP)" },
    external: { type: "string", valueName: "ip,…", description: "addresses outside the cluster to include as sources and destinations (comma-separated)" },
    output: { type: "string", short: "o", valueName: "text|json|csv|md|svg|dot", description: "output format", default: "text" },
  },
  async run(values) {
    const output = values.output ?? "text";
    const format = FORMATS[output];
    if (!format) throw new UsageError(`-o ${output}: expected text, json, csv, md, svg or dot`);
    const { diff, notes } = await computeDiff({
      ...(values.before === undefined ? {} : { before: values.before }),
      ...(values.after === undefined ? {} : { after: values.after }),
      ...(values.live === undefined ? {} : { live: values.live }),
      ...(values.filename === undefined ? {} : { files: values.filename }),
      ...(values.kubeconfig === undefined ? {} : { kubeconfig: values.kubeconfig }),
      ...(values.context === undefined ? {} : { context: values.context }),
      ...(values.protocol === undefined ? {} : { protocol: values.protocol }),
      ports: values.port ?? [],
      namespaces: splitList(values.namespace),
      externals: splitList(values.external),
    });
    for (const note of notes) console.error(`note: ${note}`);
    console.log(format(diff));
    return diff.changes.length > 0 ? 1 : 0;
  },
});
