/**
 * `-o svg` of `matrix` and `diff`: a self-contained SVG grid, rows the sources,
 * columns the destinations, grouped by namespace. Every cell has a colour AND a
 * glyph (it reads in grey print and for colour-blind readers), a tooltip, and
 * data-from / data-to / data-state attributes (one `g.cell` per ordered pair).
 * Pure: text in, text out.
 */
import { matrixCells, type Matrix } from "../policy/reachability.js";
import { describeTraffic } from "../policy/ports.js";
import { describeCause, type ConnectivityDiff } from "../policy/diff.js";

export type CellState = "allowed" | "denied" | "unresolved" | "gained" | "lost" | "still-allowed" | "still-denied";

interface Look {
  fill: string;
  ink: string;
  glyph: string;
  label: string;
}

const LOOKS: Record<CellState | "self", Look> = {
  allowed: { fill: "#b7e1b0", ink: "#1b5e20", glyph: "✓", label: "allowed" },
  denied: { fill: "#f4c7c3", ink: "#8e1c12", glyph: "✗", label: "denied" },
  unresolved: { fill: "#fde9a9", ink: "#6d4c00", glyph: "?", label: "the destination has no such port (denied)" },
  gained: { fill: "#2e7d32", ink: "#ffffff", glyph: "+", label: "gained: allowed after, denied before" },
  lost: { fill: "#c62828", ink: "#ffffff", glyph: "−", label: "lost: allowed before, denied after" },
  "still-allowed": { fill: "#e8f5e6", ink: "#6b8f66", glyph: "✓", label: "allowed, unchanged" },
  "still-denied": { fill: "#fbeceb", ink: "#a1837f", glyph: "✗", label: "denied, unchanged" },
  self: { fill: "#eeeeee", ink: "#777777", glyph: "·", label: "same pod (always allowed)" },
};

export interface GridCell {
  from: number;
  to: number;
  state: CellState;
  /** Tooltip text after "from → to". */
  note: string;
}

/** One grid: a title, the endpoints (rows and columns alike) and one cell per ordered pair shown. */
export interface Panel {
  title: string;
  names: string[];
  cells: GridCell[];
  legend: (CellState | "self")[];
}

const CELL = 18;
const CHAR = 6.8;
const MARGIN = 12;
const TITLE = 22;
const LEGEND_LINE = 20;

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

/** The namespace of "ns/pod"; an address outside the cluster is grouped as "outside". */
function groupOf(name: string): string {
  const slash = name.indexOf("/");
  return slash < 0 ? "outside" : name.slice(0, slash);
}

function shortName(name: string): string {
  const slash = name.indexOf("/");
  return slash < 0 ? name : name.slice(slash + 1);
}

/** Runs of equal groups: [group, first index, count]. */
function groups(names: readonly string[]): [string, number, number][] {
  const out: [string, number, number][] = [];
  names.forEach((name, i) => {
    const g = groupOf(name);
    const last = out[out.length - 1];
    if (last && last[0] === g) last[2]++;
    else out.push([g, i, 1]);
  });
  return out;
}

const px = (n: number): string => String(Math.round(n * 10) / 10);

function panelSvg(panel: Panel, top: number): { body: string[]; width: number; height: number } {
  const n = panel.names.length;
  const runs = groups(panel.names);
  const labelWidth = Math.max(...panel.names.map((s) => shortName(s).length), 4) * CHAR + 10;
  const groupWidth = Math.max(...runs.map(([g]) => g.length), 4) * CHAR + 14;
  const groupHeight = groupWidth;
  const x0 = MARGIN + groupWidth + labelWidth;
  const y0 = top + TITLE + groupHeight + labelWidth;
  const body: string[] = [`<text class="title" x="${px(MARGIN)}" y="${px(top + 15)}">${escapeXml(panel.title)}</text>`];
  runs.forEach(([group, first, count], k) => {
    const band = k % 2 === 0 ? "#f6f6f6" : "#ffffff";
    body.push(
      `<rect class="band" x="${px(MARGIN)}" y="${px(y0 + first * CELL)}" width="${px(groupWidth + labelWidth - 4)}" height="${px(count * CELL)}" fill="${band}"/>`,
      `<rect class="band" x="${px(x0 + first * CELL)}" y="${px(top + TITLE)}" width="${px(count * CELL)}" height="${px(groupHeight + labelWidth - 4)}" fill="${band}"/>`,
      `<text class="group" x="${px(MARGIN + 4)}" y="${px(y0 + first * CELL + 13)}">${escapeXml(group)}</text>`,
      `<text class="group" transform="translate(${px(x0 + first * CELL + 13)} ${px(top + TITLE + groupHeight - 4)}) rotate(-90)">${escapeXml(group)}</text>`,
    );
  });
  panel.names.forEach((name, i) => {
    body.push(
      `<text class="row" x="${px(x0 - 6)}" y="${px(y0 + i * CELL + 13)}" text-anchor="end">${escapeXml(shortName(name))}<title>${escapeXml(name)}</title></text>`,
      `<text class="col" transform="translate(${px(x0 + i * CELL + 13)} ${px(y0 - 6)}) rotate(-90)">${escapeXml(shortName(name))}<title>${escapeXml(name)}</title></text>`,
    );
  });
  const drawn = new Set(panel.cells.map((c) => c.from * n + c.to));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (drawn.has(i * n + j)) continue;
      const look = LOOKS.self;
      const x = x0 + j * CELL;
      const y = y0 + i * CELL;
      body.push(
        i === j
          ? `<g class="self"><rect x="${px(x)}" y="${px(y)}" width="${px(CELL)}" height="${px(CELL)}" fill="${look.fill}"/><text x="${px(x + CELL / 2)}" y="${px(y + 13)}" fill="${look.ink}">${look.glyph}</text></g>`
          : `<rect class="none" x="${px(x)}" y="${px(y)}" width="${px(CELL)}" height="${px(CELL)}" fill="#ffffff"/>`,
      );
    }
  }
  for (const cell of panel.cells) {
    const look = LOOKS[cell.state];
    const from = panel.names[cell.from] ?? "";
    const to = panel.names[cell.to] ?? "";
    const x = x0 + cell.to * CELL;
    const y = y0 + cell.from * CELL;
    body.push(
      `<g class="cell" data-from="${escapeXml(from)}" data-to="${escapeXml(to)}" data-state="${cell.state}">` +
        `<rect x="${px(x)}" y="${px(y)}" width="${px(CELL)}" height="${px(CELL)}" fill="${look.fill}"/>` +
        `<text x="${px(x + CELL / 2)}" y="${px(y + 13)}" fill="${look.ink}">${look.glyph}</text>` +
        `<title>${escapeXml(`${from} → ${to}: ${cell.note}`)}</title></g>`,
    );
  }
  for (let k = 0; k <= n; k++) body.push(`<line class="grid" x1="${px(x0)}" y1="${px(y0 + k * CELL)}" x2="${px(x0 + n * CELL)}" y2="${px(y0 + k * CELL)}"/>`, `<line class="grid" x1="${px(x0 + k * CELL)}" y1="${px(y0)}" x2="${px(x0 + k * CELL)}" y2="${px(y0 + n * CELL)}"/>`);
  for (const [, first] of runs.slice(1)) {
    body.push(
      `<line class="split" x1="${px(MARGIN)}" y1="${px(y0 + first * CELL)}" x2="${px(x0 + n * CELL)}" y2="${px(y0 + first * CELL)}"/>`,
      `<line class="split" x1="${px(x0 + first * CELL)}" y1="${px(top + TITLE)}" x2="${px(x0 + first * CELL)}" y2="${px(y0 + n * CELL)}"/>`,
    );
  }
  let y = y0 + n * CELL + 12;
  body.push(`<text class="legend" x="${px(MARGIN)}" y="${px(y + 12)}">rows: from (source), columns: to (destination)</text>`);
  for (const state of panel.legend) {
    y += LEGEND_LINE;
    const look = LOOKS[state];
    body.push(
      `<g class="key" data-state="${state}"><rect x="${px(MARGIN)}" y="${px(y)}" width="${px(CELL)}" height="${px(CELL)}" fill="${look.fill}" stroke="#999999"/>` +
        `<text x="${px(MARGIN + CELL / 2)}" y="${px(y + 13)}" fill="${look.ink}">${look.glyph}</text>` +
        `<text class="legend" x="${px(MARGIN + CELL + 8)}" y="${px(y + 13)}">${escapeXml(look.label)}</text></g>`,
    );
  }
  const legendWidth = Math.max(...panel.legend.map((s) => LOOKS[s].label.length), 46) * CHAR + CELL + 8;
  const width = Math.max(x0 + n * CELL, MARGIN + legendWidth, MARGIN + panel.title.length * 7.6) + MARGIN;
  return { body, width, height: y + CELL + MARGIN - top };
}

/** Panels stacked top to bottom in one SVG document. */
export function svgDocument(panels: readonly Panel[], title: string): string {
  const body: string[] = [];
  let top = MARGIN;
  let width = 0;
  for (const panel of panels) {
    const out = panelSvg(panel, top);
    body.push(...out.body);
    top += out.height;
    width = Math.max(width, out.width);
  }
  const height = top;
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${px(width)}" height="${px(height)}" viewBox="0 0 ${px(width)} ${px(height)}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="11">`,
    `<title>${escapeXml(title)}</title>`,
    `<style>.title{font-size:14px;font-weight:bold}.group{font-weight:bold}.cell text,.self text,.key text:first-of-type{text-anchor:middle;font-size:12px;font-weight:bold}.grid{stroke:#ffffff;stroke-width:1}.split{stroke:#555555;stroke-width:1.5}</style>`,
    `<rect x="0" y="0" width="${px(width)}" height="${px(height)}" fill="#ffffff"/>`,
    ...body,
    `</svg>`,
    "",
  ].join("\n");
}

function matrixState(cell: ReturnType<typeof matrixCells>[number]): CellState {
  if (cell.allowed) return "allowed";
  return cell.unresolvedPort === true ? "unresolved" : "denied";
}

function matrixTitle(m: Matrix): string {
  const port = m.traffic.protocol !== "ICMP" && typeof m.traffic.port === "string" ? ` (port name ${m.traffic.port}, resolved on each destination)` : "";
  return `netfence matrix: ${describeTraffic(m.traffic)}${port}`;
}

/** `matrix -o svg`. */
export function matrixSvg(m: Matrix): string {
  const names = m.endpoints.map((e) => e.name);
  const position = new Map(names.map((name, i) => [name, i]));
  const cells: GridCell[] = matrixCells(m).map((c) => {
    const state = matrixState(c);
    return { from: position.get(c.from) ?? 0, to: position.get(c.to) ?? 0, state, note: `${LOOKS[state].label} (${c.protocol}${c.port === undefined ? "" : `/${String(c.port)}`})` };
  });
  const legend: (CellState | "self")[] = ["allowed", "denied", "self", ...(cells.some((c) => c.state === "unresolved") ? (["unresolved"] as const) : [])];
  return svgDocument([{ title: matrixTitle(m), names, cells, legend }], matrixTitle(m));
}

/** Pods by "namespace/name", then outside addresses in the order given. */
function unionNames(a: readonly string[], b: readonly string[]): string[] {
  const all = [...new Set([...a, ...b])];
  const pods = all.filter((s) => s.includes("/")).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  return [...pods, ...all.filter((s) => !s.includes("/"))];
}

/** `diff -o svg`: one grid per traffic, gained and lost pairs marked, the rest faded. */
export function diffSvg(diff: ConnectivityDiff): string {
  const panels: Panel[] = diff.traffics.map((traffic, t) => {
    const before = diff.before[t];
    const after = diff.after[t];
    const names = unionNames(before?.endpoints.map((e) => e.name) ?? [], after?.endpoints.map((e) => e.name) ?? []);
    const position = new Map(names.map((name, i) => [name, i]));
    const label = describeTraffic(traffic);
    const changed = new Map(diff.changes.filter((c) => c.traffic === traffic).map((c) => [`${c.from}\u0000${c.to}`, c]));
    const state = new Map<string, { from: string; to: string; allowed: boolean }>();
    for (const m of [before, after]) if (m) for (const c of matrixCells(m)) state.set(`${c.from}\u0000${c.to}`, c);
    const cells: GridCell[] = [...state.entries()].map(([key, c]) => {
      const change = changed.get(key);
      const s: CellState = change ? change.change : c.allowed ? "still-allowed" : "still-denied";
      const note = change ? `${change.change} — ${change.causes.map(describeCause).join("; ") || "unattributed"}` : LOOKS[s].label;
      return { from: position.get(c.from) ?? 0, to: position.get(c.to) ?? 0, state: s, note };
    });
    const gained = cells.filter((c) => c.state === "gained").length;
    const lost = cells.filter((c) => c.state === "lost").length;
    return { title: `netfence diff: ${label} — ${String(gained)} gained, ${String(lost)} lost`, names, cells, legend: ["gained", "lost", "still-allowed", "still-denied", "self"] };
  });
  return svgDocument(panels, "netfence diff");
}
