/** The parent's side of one pod's agent: start it inside the pod's namespace, send probes, stop it. */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Child } from "./child.js";
import { AGENT_TCP_PORTS, AGENT_UDP_PORTS, type ProbeAnswer, type ProbeRequest } from "./protocol.js";

/** The compiled agent script (dist/dataplane/agent.js), found from this module in dist/ or src/. */
export function agentScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = dirname(dir)) {
    for (const candidate of [join(dir, "agent.js"), join(dir, "dist", "dataplane", "agent.js")]) {
      if (existsSync(candidate) && !candidate.endsWith(join("src", "dataplane", "agent.js"))) return candidate;
    }
    if (dirname(dir) === dir) throw new Error("dist/dataplane/agent.js not found: run `npm run build`");
  }
}

export class PodAgent {
  private nextId = 1;
  private readonly pending = new Map<number, (answer: ProbeAnswer) => void>();
  private stderr = "";

  private constructor(private readonly child: Child) {}

  static async start(netns: string, startTimeoutMs = 15_000): Promise<PodAgent> {
    const args = ["netns", "exec", netns, process.execPath, agentScript(), "--tcp", AGENT_TCP_PORTS.join(","), "--udp", AGENT_UDP_PORTS.join(",")];
    const child = new Child(`agent ${netns}`, "ip", args, { stdio: ["pipe", "pipe", "pipe"] });
    const agent = new PodAgent(child);
    await agent.listen(startTimeoutMs);
    return agent;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private listen(timeoutMs: number): Promise<void> {
    const proc = this.child.process;
    proc.stderr?.setEncoding("utf8").on("data", (c: string) => (this.stderr = (this.stderr + c).slice(-4000)));
    return new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`${this.child.name} not ready after ${String(timeoutMs)}ms: ${this.stderr}`)), timeoutMs);
      proc.on("exit", () => {
        clearTimeout(timer);
        fail(new Error(`${this.child.name} ${this.child.exit ?? "exited"}: ${this.stderr}`));
        for (const resolve of this.pending.values()) resolve({ id: 0, allowed: false, detail: "agent exited" });
        this.pending.clear();
      });
      if (!proc.stdout) throw new Error("agent stdout is not piped");
      createInterface({ input: proc.stdout }).on("line", (line) => {
        const message = JSON.parse(line) as ProbeAnswer | { ready: true };
        if ("ready" in message) {
          clearTimeout(timer);
          ok();
          return;
        }
        this.pending.get(message.id)?.(message);
        this.pending.delete(message.id);
      });
    });
  }

  /** Sends one probe from this pod; resolves with the agent's answer. */
  probe(request: Omit<ProbeRequest, "id">): Promise<ProbeAnswer> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      if (this.child.exit !== undefined) {
        resolve({ id, allowed: false, detail: `agent ${this.child.exit}` });
        return;
      }
      this.pending.set(id, resolve);
      this.child.process.stdin?.write(`${JSON.stringify({ ...request, id })}\n`);
    });
  }

  async stop(): Promise<void> {
    this.child.process.stdin?.end();
    await this.child.stop(2000);
  }
}
