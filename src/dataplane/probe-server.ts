/**
 * `netfence dataplane up` answers probes from other processes (`netfence
 * probe`) on a unix socket: one JSON request a connection, one JSON answer.
 */
import { rm } from "node:fs/promises";
import { createConnection, createServer, type Server } from "node:net";
import { join } from "node:path";
import type { Logger } from "../observability/logger.js";
import { RUN_DIR } from "./names.js";
import type { ProbeResult, ProbeSpec } from "./probe.js";

export const PROBE_SOCKET = join(RUN_DIR, "probe.sock");

export type ProbeAnswerLine = { ok: true; result: ProbeResult } | { ok: false; error: string };

export async function serveProbes(probe: (spec: ProbeSpec) => Promise<ProbeResult>, log: Logger): Promise<Server> {
  await rm(PROBE_SOCKET, { force: true });
  const server = createServer((socket) => {
    let text = "";
    socket.setEncoding("utf8").on("data", (chunk: string) => {
      text += chunk;
      if (!text.includes("\n")) return;
      const answer = (line: ProbeAnswerLine) => socket.end(`${JSON.stringify(line)}\n`);
      Promise.resolve()
        .then(() => probe(JSON.parse(text) as ProbeSpec))
        .then(
          (result) => answer({ ok: true, result }),
          (err: unknown) => answer({ ok: false, error: err instanceof Error ? err.message : String(err) }),
        )
        .catch((err: unknown) => log.warn({ err }, "Probe connection failed"));
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(PROBE_SOCKET, () => ok());
  });
  return server;
}

export async function closeProbeServer(server: Server): Promise<void> {
  await new Promise<void>((ok) => server.close(() => ok()));
  await rm(PROBE_SOCKET, { force: true });
}

/** Asks the running `netfence dataplane up` for one probe. */
export function requestProbe(spec: ProbeSpec, timeoutMs = 10_000): Promise<ProbeAnswerLine> {
  return new Promise((ok, fail) => {
    const socket = createConnection(PROBE_SOCKET);
    let text = "";
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error("no answer from the data plane")));
    socket.on("error", (err: NodeJS.ErrnoException) =>
      fail(err.code === "ENOENT" || err.code === "ECONNREFUSED" ? new Error("no data plane is running: start one with `netfence dataplane up -f cluster.yaml`") : err),
    );
    socket.setEncoding("utf8").on("data", (c: string) => (text += c));
    socket.on("end", () => {
      try {
        ok(JSON.parse(text) as ProbeAnswerLine);
      } catch {
        fail(new Error(`the data plane sent an unreadable answer: ${text}`));
      }
    });
    socket.write(`${JSON.stringify(spec)}\n`);
  });
}
