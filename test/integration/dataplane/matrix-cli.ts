/**
 * `netfence matrix` as a user runs it against the live cluster: the built CLI
 * (bin/netfence.js) in its own process with the test's kubeconfig, `-o json`.
 * What it prints is the prediction the packets are compared with.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { Traffic } from "../../../src/policy/reachability.js";

const BIN = fileURLToPath(new URL("../../../bin/netfence.js", import.meta.url));
const execFileAsync = promisify(execFile);

/** One record of `netfence matrix -o json`. */
export interface MatrixRecord {
  from: string;
  to: string;
  protocol: string;
  port?: number | string;
  allowed: boolean;
}

export interface MatrixRun {
  /** The command line, as a user would type it (without --kubeconfig). */
  command: string;
  records: MatrixRecord[];
  /** What it printed on stderr (notes, warnings). */
  notes: string;
}

export async function netfenceMatrix(kubeconfig: string, namespaces: readonly string[], traffic: Traffic): Promise<MatrixRun> {
  const args = ["matrix", "-n", namespaces.join(","), "--protocol", traffic.protocol, ...(traffic.protocol === "ICMP" ? [] : ["--port", String(traffic.port)]), "-o", "json"];
  const command = `netfence ${args.join(" ")}`;
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [BIN, ...args, "--kubeconfig", kubeconfig], { maxBuffer: 16 * 1024 * 1024, timeout: 60_000 });
    return { command, records: JSON.parse(stdout) as MatrixRecord[], notes: stderr.trim() };
  } catch (err) {
    const e = err as { code?: number; stderr?: string; message: string };
    throw new Error(`${command} failed (exit ${String(e.code)}): ${e.stderr?.trim() || e.message}`);
  }
}
