/**
 * The process inside one pod's network namespace (`ip netns exec <ns> node agent.js`):
 * it answers TCP connections and UDP datagrams on the probed ports, and sends
 * probes on request. Requests arrive on stdin, one JSON object a line
 * (`{"id":1,"protocol":"TCP","ip":"10.3.104.5","port":80,"timeoutMs":400}`);
 * answers leave on stdout (`{"id":1,"allowed":true,"detail":"connected"}`).
 * The first stdout line is `{"ready":true}` once every listener is bound.
 * Only node builtins: it runs as a standalone script.
 */
import { execFile } from "node:child_process";
import { createSocket } from "node:dgram";
import { connect, createServer } from "node:net";
import { createInterface } from "node:readline";
import type { ProbeAnswer, ProbeRequest } from "./protocol.js";

function ports(flag: string): number[] {
  const at = process.argv.indexOf(flag);
  const list = at >= 0 ? (process.argv[at + 1] ?? "") : "";
  return list.split(",").filter(Boolean).map(Number);
}

function listenTcp(port: number): Promise<void> {
  return new Promise((ok, fail) => {
    const server = createServer((socket) => {
      // The prober closes as soon as it is connected: a reset is expected, never fatal.
      socket.on("error", () => undefined);
      socket.end("ok\n");
    });
    server.on("error", fail);
    server.listen(port, "0.0.0.0", () => ok());
  });
}

function listenUdp(port: number): Promise<void> {
  return new Promise((ok, fail) => {
    const socket = createSocket("udp4");
    socket.on("message", (msg, rinfo) => socket.send(msg, rinfo.port, rinfo.address));
    socket.on("error", fail);
    socket.bind(port, "0.0.0.0", () => ok());
  });
}

function probeTcp(ip: string, port: number, timeoutMs: number): Promise<Omit<ProbeAnswer, "id">> {
  return new Promise((ok) => {
    const socket = connect({ host: ip, port, timeout: timeoutMs });
    const done = (allowed: boolean, detail: string) => {
      socket.destroy();
      ok({ allowed, detail });
    };
    socket.on("connect", () => done(true, "connected"));
    socket.on("timeout", () => done(false, "timeout"));
    // A refusal is an answer from the destination: the packets got through.
    socket.on("error", (err: NodeJS.ErrnoException) => done(err.code === "ECONNREFUSED", err.code ?? err.message));
  });
}

function probeUdp(ip: string, port: number, timeoutMs: number): Promise<Omit<ProbeAnswer, "id">> {
  return new Promise((ok) => {
    const socket = createSocket("udp4");
    const token = `probe-${String(Math.random())}`;
    const timer = setTimeout(() => done(false, "timeout"), timeoutMs);
    const done = (allowed: boolean, detail: string) => {
      clearTimeout(timer);
      socket.close();
      ok({ allowed, detail });
    };
    socket.on("message", (msg) => {
      if (msg.toString() === token) done(true, "answered");
    });
    socket.on("error", (err) => done(false, err.message));
    socket.send(token, port, ip);
  });
}

function probeIcmp(ip: string, timeoutMs: number): Promise<Omit<ProbeAnswer, "id">> {
  return new Promise((ok) => {
    const wait = Math.max(0.1, timeoutMs / 1000).toFixed(2);
    execFile("ping", ["-n", "-q", "-c", "1", "-W", wait, ip], (err) => ok(err ? { allowed: false, detail: "no echo reply" } : { allowed: true, detail: "echo reply" }));
  });
}

async function answer(request: ProbeRequest): Promise<ProbeAnswer> {
  const port = request.port ?? 0;
  const result =
    request.protocol === "ICMP"
      ? await probeIcmp(request.ip, request.timeoutMs)
      : request.protocol === "TCP"
        ? await probeTcp(request.ip, port, request.timeoutMs)
        : await probeUdp(request.ip, port, request.timeoutMs);
  return { id: request.id, ...result };
}

async function main(): Promise<void> {
  await Promise.all([...ports("--tcp").map(listenTcp), ...ports("--udp").map(listenUdp)]);
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  const lines = createInterface({ input: process.stdin });
  lines.on("line", (line) => {
    const request = JSON.parse(line) as ProbeRequest;
    void answer(request).then((a) => process.stdout.write(`${JSON.stringify(a)}\n`));
  });
  // The parent closed our stdin: it is gone or done with us.
  lines.on("close", () => process.exit(0));
}

main().catch((err: unknown) => {
  process.stderr.write(`agent: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
