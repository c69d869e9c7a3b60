/**
 * One data plane per machine: the active run's record, created exclusively.
 * A record whose process is gone belongs to a crashed run: its leftovers are
 * swept before the record is taken over.
 */
import { mkdir, open, readFile, rm, rmdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { RUN_DIR } from "./names.js";

export interface RunRecord {
  runId: string;
  pid: number;
  podCidr: string;
  /** The value of net.ipv4.ip_forward before the run. */
  ipForward: string;
  /** True when the run created /var/lib/calico (felix's state directory). */
  createdFelixStateDir: boolean;
  /**
   * True once the run has started felix on a machine with no Calico state:
   * every Calico table, chain and set from then on is the run's to remove.
   * Absent or false: the run removes none (a crashed run's sweep neither).
   */
  felixStarted?: boolean;
  /** The run's own directory (felix log, status files). */
  dir: string;
  startedAt: string;
}

const ACTIVE = join(RUN_DIR, "active.json");

export class DataPlaneBusyError extends Error {
  override name = "DataPlaneBusyError";
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export async function readRecord(): Promise<RunRecord | undefined> {
  try {
    return JSON.parse(await readFile(ACTIVE, "utf8")) as RunRecord;
  } catch {
    return undefined;
  }
}

/**
 * Takes the machine for this run. When another live process holds it, throws
 * DataPlaneBusyError; when a dead one does, hands its record to `sweep` first.
 */
export async function acquire(record: RunRecord, sweep: (stale: RunRecord | undefined) => Promise<void>): Promise<void> {
  await mkdir(RUN_DIR, { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    const existing = await readRecord();
    if (existing && alive(existing.pid) && existing.pid !== process.pid) {
      throw new DataPlaneBusyError(`another netfence data plane is running on this machine (run ${existing.runId}, pid ${String(existing.pid)})`);
    }
    await sweep(existing);
    await rm(ACTIVE, { force: true });
    try {
      const handle = await open(ACTIVE, "wx");
      await handle.writeFile(JSON.stringify(record, null, 2));
      await handle.close();
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
  throw new DataPlaneBusyError("could not take the data-plane record: another run keeps taking it");
}

export async function release(runId: string): Promise<void> {
  const existing = await readRecord();
  if (existing?.runId !== runId) return;
  await rm(ACTIVE, { force: true });
  // The directories too, when nothing else is in them.
  for (const dir of [RUN_DIR, dirname(RUN_DIR)]) await rmdir(dir).catch(() => undefined);
}

/** Waits for the machine instead of failing while another run holds it. */
export async function acquireWaiting(record: RunRecord, sweep: (stale: RunRecord | undefined) => Promise<void>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await acquire(record, sweep);
      return;
    } catch (err) {
      if (!(err instanceof DataPlaneBusyError) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Rewrites the active record (e.g. with what the run changed since it took the machine). */
export async function updateRecord(record: RunRecord): Promise<void> {
  const existing = await readRecord();
  if (existing?.runId !== record.runId) throw new Error(`the data-plane record belongs to run ${existing?.runId ?? "(none)"}, not ${record.runId}`);
  await writeFile(ACTIVE, JSON.stringify(record, null, 2));
}
