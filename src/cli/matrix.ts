import { describeTraffic } from "../policy/ports.js";
import { CELL, cellAt, matrix, matrixCells, resolveEndpoint, type Matrix } from "../policy/reachability.js";
import { command, UsageError } from "./command.js";
import { INPUT_OPTIONS, loadInputs, parseTraffic, splitList, TRAFFIC_OPTIONS, type InputValues, type TrafficValues } from "./inputs.js";

export interface MatrixRequest {
  input: InputValues;
  traffic: TrafficValues;
  namespaces: string[];
  externals: string[];
}

/** Loads the inputs and computes the matrix: what the CLI runs, and what tests call in-process. */
export async function computeMatrix(request: MatrixRequest): Promise<{ matrix: Matrix; notes: string[] }> {
  const traffic = parseTraffic(request.traffic);
  const loaded = await loadInputs(request.input, request.namespaces);
  for (const external of request.externals) {
    const parsed = resolveEndpoint(loaded.index, external);
    if (!parsed.ok || external.includes("/")) throw new UsageError(`--external ${external}: not an IP address`);
  }
  const known = new Set(loaded.index.pods.map((p) => p.namespace));
  const missing = request.namespaces.filter((ns) => !known.has(ns));
  const notes = [...loaded.notes, ...(missing.length > 0 ? [`no pods in ${missing.join(", ")}`] : [])];
  return { matrix: matrix(loaded.index, traffic, { namespaces: request.namespaces, externals: request.externals }), notes };
}

const SYMBOL = { allowed: "✓", denied: "✗", self: "·", unresolved: "?" } as const;

function symbol(cell: number): string {
  if ((cell & CELL.SELF) !== 0) return SYMBOL.self;
  if ((cell & CELL.UNRESOLVED_PORT) !== 0) return SYMBOL.unresolved;
  return (cell & CELL.EGRESS) !== 0 && (cell & CELL.INGRESS) !== 0 ? SYMBOL.allowed : SYMBOL.denied;
}

/** A grid a person reads at a glance: rows are sources, columns destinations. */
export function formatTable(m: Matrix, maxWidth = 120): string {
  const names = m.endpoints.map((e) => e.name);
  const n = names.length;
  if (n === 0) return "no pods to show";
  const rowWidth = Math.max(...names.map((s) => s.length), "from \\ to".length);
  const byName = rowWidth + 2 + names.reduce((w, s) => w + Math.max(s.length, 1) + 2, 0) <= maxWidth;
  const headers = byName ? names : names.map((_, i) => String(i + 1));
  const rowLabels = byName ? names : names.map((s, i) => `${String(i + 1).padStart(String(n).length)} ${s}`);
  const labelWidth = Math.max(...rowLabels.map((s) => s.length), "from \\ to".length);
  const widths = headers.map((h) => Math.max(h.length, 1));
  const center = (text: string, width: number): string => {
    const left = Math.floor((width - text.length) / 2);
    return " ".repeat(left) + text + " ".repeat(width - text.length - left);
  };
  const lines = [`${"from \\ to".padEnd(labelWidth)}  ${headers.map((h, j) => center(h, widths[j] ?? 1)).join("  ")}`];
  let allowed = 0;
  let denied = 0;
  let unresolved = 0;
  for (let i = 0; i < n; i++) {
    const cells: string[] = [];
    for (let j = 0; j < n; j++) {
      const from = m.endpoints[i];
      const to = m.endpoints[j];
      const bothOutside = from?.endpoint.kind === "external" && to?.endpoint.kind === "external";
      const cell = cellAt(m, i, j);
      const s = bothOutside ? " " : i === j ? SYMBOL.self : symbol(cell);
      if (i !== j && !bothOutside) {
        if (s === SYMBOL.allowed) allowed++;
        else if (s === SYMBOL.denied) denied++;
        else if (s === SYMBOL.unresolved) unresolved++;
      }
      cells.push(center(s, widths[j] ?? 1));
    }
    lines.push(`${(rowLabels[i] ?? "").padEnd(labelWidth)}  ${cells.join("  ")}`.trimEnd());
  }
  const port = m.traffic.protocol !== "ICMP" && typeof m.traffic.port === "string" ? ` (port name ${m.traffic.port}, resolved on each destination)` : "";
  const legend = [`${SYMBOL.allowed} allowed`, `${SYMBOL.denied} denied`, `${SYMBOL.self} same pod (always allowed)`];
  if (unresolved > 0) legend.push(`${SYMBOL.unresolved} the destination has no such port`);
  return [
    `${describeTraffic(m.traffic)}${port} — rows: from, columns: to`,
    "",
    ...lines,
    "",
    legend.join("   "),
    `${String(allowed + denied + unresolved)} pairs: ${String(allowed)} allowed, ${String(denied + unresolved)} denied. Run 'netfence check --from A --to B' for the reason.`,
  ].join("\n");
}

/** `-o json`: one record per ordered pair. */
export function formatJson(m: Matrix): string {
  return JSON.stringify(
    matrixCells(m).map((c) => ({ from: c.from, to: c.to, ...(c.port === undefined ? {} : { port: c.port }), protocol: c.protocol, allowed: c.allowed })),
    null,
    2,
  );
}

/** The renderers of -o; svg and dot load only when asked for (`netfence run` never loads them). */
const FORMATS: Partial<Record<string, (m: Matrix) => Promise<string>>> = {
  table: (m) => Promise.resolve(formatTable(m)),
  json: (m) => Promise.resolve(formatJson(m)),
  svg: async (m) => (await import("./svg.js")).matrixSvg(m).trimEnd(),
  dot: async (m) => (await import("./dot.js")).matrixDot(m).trimEnd(),
};

export const matrixCommand = command({
  name: "matrix",
  summary: "Show which pods may reach which (every ordered pair) under the Admin tier, the NetworkPolicies and the Baseline tier, for one protocol and port.",
  options: {
    ...INPUT_OPTIONS,
    namespace: { type: "string", short: "n", valueName: "ns,…", description: "only pods in these namespaces (comma-separated; default all)" },
    ...TRAFFIC_OPTIONS,
    port: { ...TRAFFIC_OPTIONS.port, description: "destination port or container port name, resolved on each destination pod (default 80; not with ICMP)" },
    external: { type: "string", valueName: "ip,…", description: "addresses outside the cluster to include as sources and destinations (comma-separated)" },
    output: { type: "string", short: "o", valueName: "table|json|svg|dot", description: "output format (svg: a self-contained image; dot: Graphviz text)", default: "table" },
  },
  async run(values) {
    const output = values.output ?? "table";
    const format = FORMATS[output];
    if (!format) throw new UsageError(`-o ${output}: expected table, json, svg or dot`);
    const { matrix: m, notes } = await computeMatrix({
      input: values,
      traffic: values,
      namespaces: splitList(values.namespace),
      externals: splitList(values.external),
    });
    for (const note of notes) console.error(`note: ${note}`);
    console.log(await format(m));
    return 0;
  },
});
