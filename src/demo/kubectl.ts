/** The cached kubectl, run against one kubeconfig, with the command echoed for the reader. */
import { spawn } from "node:child_process";

export class KubectlError extends Error {
  override name = "KubectlError";
}

export class Kubectl {
  constructor(
    private readonly binary: string,
    private readonly kubeconfig: string,
  ) {}

  /** Runs `kubectl <args>`; resolves with stdout, rejects with stderr when it exits non-zero. */
  run(args: readonly string[], stdin?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.binary, [`--kubeconfig=${this.kubeconfig}`, ...args], { stdio: ["pipe", "pipe", "pipe"] });
      let out = "";
      let err = "";
      child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
      child.stderr.setEncoding("utf8").on("data", (c: string) => (err += c));
      child.on("error", reject);
      child.on("exit", (code) => {
        if (code === 0) resolve(out);
        else reject(new KubectlError(`kubectl ${args.join(" ")} exited ${String(code)}: ${err.trim()}`));
      });
      child.stdin.end(stdin ?? "");
    });
  }
}
