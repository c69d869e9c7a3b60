/** Host commands (ip, nft, iptables, ipset, conntrack) run with argument arrays, never a shell. */
import { execFile } from "node:child_process";

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {
  override name = "CommandError";
}

/** Runs a command; resolves with its exit code and output (never rejects for a non-zero exit). */
export function tryRun(command: string, args: readonly string[], input?: string): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = execFile(command, [...args], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 127) : 0;
      resolve({ code, stdout, stderr: stderr || (err && code === 127 ? err.message : "") });
    });
    // A command that does not read its input may exit first: that is not an error here.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(input ?? "");
  });
}

/** Runs a command; rejects with its stderr when it exits non-zero. */
export async function run(command: string, args: readonly string[], input?: string): Promise<string> {
  const result = await tryRun(command, args, input);
  if (result.code !== 0) throw new CommandError(`${command} ${args.join(" ")} exited ${String(result.code)}: ${result.stderr.trim()}`);
  return result.stdout;
}

/** `ip [-n netns] -batch -`: many ip commands in one process (one per line). */
export function ipBatch(lines: readonly string[], netns?: string): Promise<string> {
  return run("ip", [...(netns ? ["-n", netns] : []), "-batch", "-"], lines.join("\n") + "\n");
}
