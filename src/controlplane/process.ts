import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, readFileSync, type WriteStream } from "node:fs";
import { createServer } from "node:net";

/** A free TCP port on 127.0.0.1 (the kernel picks it; we release it for the component). */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") ok(address.port);
        else fail(new Error("could not allocate a port"));
      });
    });
  });
}

/** The last lines of a log file, for error messages. */
export function tail(path: string, lines = 40): string {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/**
 * One control-plane component as its own process. Output goes to a log file.
 * The child gets SIGKILL from the kernel if the parent dies (setpriv
 * --pdeathsig), so a crashed test run leaves no etcd or apiserver behind.
 */
export class Component {
  private child: ChildProcess | undefined;
  private log: WriteStream | undefined;
  private exited: Promise<void> = Promise.resolve();
  private exitInfo: string | undefined;

  constructor(
    readonly name: string,
    private readonly binary: string,
    private readonly args: string[],
    readonly logPath: string,
  ) {}

  start(): void {
    this.log = createWriteStream(this.logPath, { flags: "a" });
    const child = spawn("setpriv", ["--pdeathsig", "SIGKILL", "--", this.binary, ...this.args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.pipe(this.log, { end: false });
    child.stderr.pipe(this.log, { end: false });
    this.exitInfo = undefined;
    this.exited = new Promise((ok) => {
      child.on("exit", (code, signal) => {
        this.exitInfo = signal ? `killed by ${signal}` : `exited with code ${String(code)}`;
        ok();
      });
      child.on("error", (err) => {
        this.exitInfo = `failed to start: ${err.message}`;
        ok();
      });
    });
    this.child = child;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Why the process is gone, or undefined while it runs. */
  get exit(): string | undefined {
    return this.exitInfo;
  }

  /** SIGTERM, then SIGKILL after the grace period. */
  async stop(graceMs = 5000): Promise<void> {
    const child = this.child;
    if (!child || this.exitInfo !== undefined) return this.closeLog();
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
    this.closeLog();
  }

  kill(): Promise<void> {
    this.child?.kill("SIGKILL");
    return this.exited.then(() => this.closeLog());
  }

  private closeLog(): void {
    this.log?.end();
    this.log = undefined;
  }
}
