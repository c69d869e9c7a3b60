/** Tables, progress lines and small statistics for the benchmark output. */

/** The figures the issues ask for, first in the default run's combined JSON line (docs/benchmarks.md lists them). */
export const HEADLINE = [
  "converge_2000_ratio",
  "converge_10000_ratio",
  "admin_writes_10000",
  "admin_converge_10000_ms",
  "fanout_2000_ratio",
  "fanout_deleted",
  "new_ns_p50_ms",
  "new_ns_p99_ms",
  "steady_writes_idle",
  "steady_writes_restart",
  "rss_mib",
  "evaluator_matrix_ms",
  "evaluator_tiers_ratio",
  "dataplane_isolation_p50_ms",
  "dataplane_isolation_p99_ms",
  "admin_new_ns_wire_p99_ms",
  "bypass_full_ms",
  "bypass_verdict_p99_ms",
  "bypass_rss_mib",
] as const;

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile (p in 0..100); 0 for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? 0;
}

export const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;
export const secs = (ms: number): string => (ms / 1000).toFixed(2);

/** Prints a right-aligned table (first column left-aligned). */
export function table(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows) console.log(line(row));
  console.log("");
}

const started = Date.now();

/** A progress line on stderr, stamped with the time since the bench started. */
export function progress(message: string): void {
  process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(7)}s] ${message}\n`);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value; throws after `timeoutMs` naming `what`. */
export async function until<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs: number, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`bench: timed out after ${String(timeoutMs / 1000)}s waiting for ${what}`);
    await sleep(intervalMs);
  }
}
