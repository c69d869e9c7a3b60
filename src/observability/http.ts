/**
 * The operator's HTTP endpoints: /healthz and /readyz on --health-addr,
 * /metrics on --metrics-addr. An address is "host:port" or ":port"; "0" turns
 * the server off.
 */
import { createServer, type Server } from "node:http";

export type Probe = () => { ok: boolean; detail: string };

export interface Routes {
  [path: string]: () => Promise<{ status: number; contentType: string; body: string }>;
}

export function parseAddr(addr: string): { host: string; port: number } | undefined {
  if (addr === "0" || addr === "") return undefined;
  const i = addr.lastIndexOf(":");
  const host = i > 0 ? addr.slice(0, i) : "0.0.0.0";
  const port = Number(addr.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid address '${addr}': expected host:port or :port`);
  return { host: host.replace(/^\[|\]$/g, ""), port };
}

export function probeRoute(probe: Probe): Routes[string] {
  return () => {
    const { ok, detail } = probe();
    return Promise.resolve({ status: ok ? 200 : 503, contentType: "text/plain", body: `${detail}\n` });
  };
}

/** Starts a server for the routes; resolves with it listening (port 0 picks a free one). */
export async function serve(addr: string, routes: Routes): Promise<Server | undefined> {
  const where = parseAddr(addr);
  if (!where) return undefined;
  const server = createServer((req, res) => {
    const route = routes[(req.url ?? "/").split("?")[0] ?? "/"];
    if (!route) {
      res.writeHead(404).end("not found\n");
      return;
    }
    route().then(
      (r) => res.writeHead(r.status, { "Content-Type": r.contentType }).end(r.body),
      (err: unknown) => res.writeHead(500).end(`${err instanceof Error ? err.message : String(err)}\n`),
    );
  });
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(where.port, where.host, ok);
  });
  return server;
}
