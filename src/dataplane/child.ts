/**
 * A child process of the data plane (felix, a pod's agent): started through
 * `setpriv --pdeathsig SIGKILL` so the kernel kills it when this process dies,
 * stopped by its own pid only.
 */
import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";

export interface ChildOptions {
  env?: NodeJS.ProcessEnv;
  /** Default: stdin ignored, stdout and stderr piped. */
  stdio?: StdioOptions;
}

export class Child {
  readonly process: ChildProcess;
  private exitInfo: string | undefined;
  private readonly exited: Promise<void>;

  constructor(readonly name: string, command: string, args: readonly string[], options: ChildOptions = {}) {
    this.process = spawn("setpriv", ["--pdeathsig", "SIGKILL", "--", command, ...args], {
      stdio: options.stdio ?? ["ignore", "pipe", "pipe"],
      env: options.env ?? process.env,
    });
    this.exited = new Promise((ok) => {
      this.process.on("exit", (code, signal) => {
        this.exitInfo = signal ? `killed by ${signal}` : `exited with code ${String(code)}`;
        ok();
      });
      this.process.on("error", (err) => {
        this.exitInfo = `failed to start: ${err.message}`;
        ok();
      });
    });
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  /** Why the process is gone, or undefined while it runs. */
  get exit(): string | undefined {
    return this.exitInfo;
  }

  /** SIGTERM to this pid, SIGKILL after the grace period; resolves once it has exited. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.exitInfo !== undefined || this.process.pid === undefined) return;
    this.process.kill("SIGTERM");
    const timer = setTimeout(() => this.process.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
