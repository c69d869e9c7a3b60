/**
 * `-o dot` of `matrix` and `diff`: Graphviz text (render it with `dot -Tsvg`).
 * A node per endpoint, a cluster per namespace; for `matrix` an edge per allowed
 * pair, for `diff` an edge per gained (green, solid, "+") or lost (red, dashed,
 * "−") pair. Pure: text in, text out.
 */
import { describeCause, describeChangeTraffic, type ConnectivityDiff } from "../policy/diff.js";
import { describeTraffic } from "../policy/ports.js";
import { matrixCells, type Matrix } from "../policy/reachability.js";

function quote(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

function nodes(names: readonly string[]): string[] {
  const byNamespace = new Map<string, string[]>();
  const outside: string[] = [];
  for (const name of names) {
    const slash = name.indexOf("/");
    if (slash < 0) {
      outside.push(name);
      continue;
    }
    const ns = name.slice(0, slash);
    const list = byNamespace.get(ns);
    if (list) list.push(name);
    else byNamespace.set(ns, [name]);
  }
  const lines: string[] = [];
  for (const [ns, pods] of byNamespace) {
    lines.push(`  subgraph ${quote(`cluster_${ns}`)} {`, `    label=${quote(ns)};`, `    style=rounded;`);
    for (const pod of pods) lines.push(`    ${quote(pod)} [label=${quote(pod.slice(ns.length + 1))}];`);
    lines.push("  }");
  }
  for (const ip of outside) lines.push(`  ${quote(ip)} [shape=ellipse, label=${quote(`${ip} (outside)`)}];`);
  return lines;
}

function graph(title: string, body: readonly string[]): string {
  return ["digraph netfence {", `  label=${quote(title)};`, "  labelloc=t;", "  rankdir=LR;", '  node [shape=box, fontname="monospace"];', ...body, "}", ""].join("\n");
}

/** `matrix -o dot`: an edge is an allowed connection; a missing edge is denied. */
export function matrixDot(m: Matrix): string {
  const edges = matrixCells(m)
    .filter((c) => c.allowed)
    .map((c) => `  ${quote(c.from)} -> ${quote(c.to)};`);
  return graph(`netfence matrix ${describeTraffic(m.traffic)}: an edge is an allowed connection`, [...nodes(m.endpoints.map((e) => e.name)), ...edges]);
}

/** `diff -o dot`: only the pairs that change. */
export function diffDot(diff: ConnectivityDiff): string {
  const names = new Set<string>();
  for (const m of [...diff.before, ...diff.after]) for (const e of m.endpoints) names.add(e.name);
  const edges = diff.changes.map((c) => {
    const look = c.change === "gained" ? 'color="#2e7d32", fontcolor="#2e7d32", style=solid' : 'color="#c62828", fontcolor="#c62828", style=dashed';
    const tooltip = c.causes.map(describeCause).join("; ") || "unattributed";
    return `  ${quote(c.from)} -> ${quote(c.to)} [${look}, label=${quote(`${c.change === "gained" ? "+" : "−"} ${describeChangeTraffic(c)}`)}, tooltip=${quote(tooltip)}];`;
  });
  const pods = [...names].filter((s) => s.includes("/")).sort();
  return graph("netfence diff: green + gained, red dashed − lost", [...nodes([...pods, ...[...names].filter((s) => !s.includes("/"))]), ...edges]);
}
