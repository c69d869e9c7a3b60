/**
 * The demo on real packets: whether this machine can run the data plane, the
 * measured grid of one protocol (every ordered pair probed), and that grid
 * printed beside netfence's predicted one with disagreements marked.
 */
import { cachedFelix } from "../dataplane/binary.js";
import type { DataPlane } from "../dataplane/dataplane.js";
import { unsupportedReason } from "../dataplane/host.js";
import { readRecord } from "../dataplane/record.js";
import type { MatrixCell } from "../policy/reachability.js";
import type { Felix } from "../dataplane/binary.js";

/** `busyPid`: the machine could, but another netfence data plane (that process) holds it now. */
export type PacketSupport = { ok: true; felix: Felix } | { ok: false; reason: string; busyPid?: number };

/** What the machine itself offers: root with CAP_NET_ADMIN, the tools and a felix build (builds nothing). */
export async function machineSupport(): Promise<PacketSupport> {
  const reason = unsupportedReason();
  if (reason) return { ok: false, reason };
  const felix = await cachedFelix();
  if (!felix) return { ok: false, reason: "calico-felix is not built yet (run `netfence dataplane build`, about 8 min)" };
  return { ok: true, felix };
}

/** Real packets need root with CAP_NET_ADMIN, the tools, a felix build and a machine no other data plane holds. */
export async function packetSupport(): Promise<PacketSupport> {
  const support = await machineSupport();
  if (!support.ok) return support;
  const active = await readRecord();
  if (active && active.pid !== process.pid) {
    try {
      process.kill(active.pid, 0);
      return { ok: false, reason: `another netfence data plane runs on this machine (pid ${String(active.pid)})`, busyPid: active.pid };
    } catch {
      // a crashed run: the data plane sweeps it at start
    }
  }
  return support;
}

export type Measured = ReadonlyMap<string, boolean>;

const key = (from: string, to: string) => `${from} ${to}`;

/** Every ordered pair of `pods` probed with real packets (ping, or TCP to `port`). */
export async function measure(plane: DataPlane, pods: readonly string[], protocol: "ICMP" | "TCP", port = 80): Promise<Measured> {
  const specs = pods.flatMap((from) => pods.filter((to) => to !== from).map((to) => (protocol === "ICMP" ? { from, to, protocol } : { from, to, protocol, port })));
  const results = await plane.probeAll(specs);
  return new Map(results.map((r) => [key(r.from, r.to), r.allowed]));
}

/** Pairs where the packets and the prediction differ. */
export function disagreements(predicted: readonly MatrixCell[], measured: Measured): string[] {
  return predicted
    .filter((c) => measured.has(key(c.from, c.to)) && measured.get(key(c.from, c.to)) !== c.allowed)
    .map((c) => `${c.from} → ${c.to}: predicted ${c.allowed ? "allowed" : "denied"}, packets ${measured.get(key(c.from, c.to)) ? "got through" : "were dropped"}`);
}

/** Two grids side by side: netfence's prediction and the packets; `!` marks a cell where they differ. */
export function formatSideBySide(title: string, pods: readonly string[], predicted: readonly MatrixCell[], measured: Measured): string {
  const predictedAt = new Map(predicted.map((c) => [key(c.from, c.to), c.allowed]));
  const labels = pods.map((p, i) => `${String(i + 1)} ${p}`);
  const width = Math.max(...labels.map((l) => l.length), "from \\ to".length);
  const col = (s: string) => s.padStart(Math.ceil((7 + s.length) / 2)).padEnd(7);
  const header = pods.map((_, i) => col(String(i + 1))).join("");
  const grid = (from: string, at: (k: string) => boolean | undefined, mark: (k: string) => boolean) =>
    pods
      .map((to) => {
        if (to === from) return col("·");
        const k = key(from, to);
        const v = at(k);
        return col(`${v === undefined ? "?" : v ? "✓" : "✗"}${mark(k) ? "!" : ""}`);
      })
      .join("");
  const differs = (k: string) => measured.has(k) && predictedAt.get(k) !== measured.get(k);
  const lines = [
    title,
    `${"".padEnd(width)}  ${"predicted (netfence matrix)".padEnd(pods.length * 7)}   measured (real packets)`,
    `${"from \\ to".padEnd(width)}  ${header}   ${header}`,
    ...pods.map((from, i) => `${(labels[i] ?? from).padEnd(width)}  ${grid(from, (k) => predictedAt.get(k), () => false)}   ${grid(from, (k) => measured.get(k), differs)}`),
  ];
  return lines.join("\n");
}
