/**
 * A raw JSON GET against the API server with the KubeConfig's credentials, on
 * node:http(s) rather than client-node's generated clients, for the two things
 * those cannot do well in 1.4.0:
 * - a custom `Accept` (metadata-only lists: PartialObjectMetadataList), and
 * - plain JSON back (generated clients turn timestamps into Dates; watch events
 *   carry strings, so an informer cache fed by both would mix the two).
 * Failures throw client-node's `ApiException` (code, Status text, headers), so
 * `classify()` treats them like any other API error; network failures and
 * timeouts throw the socket error / an AbortError.
 */
import http from "node:http";
import https from "node:https";
import { ApiException, type KubeConfig } from "@kubernetes/client-node";

export interface GetJsonOptions {
  /** Query parameters; undefined values are left out. Parameters already in `path` are kept. */
  query?: Record<string, string | number | boolean | undefined>;
  /** The Accept header; default application/json. */
  accept?: string;
  /** Gives up (AbortError) after this long; default 60 s. */
  timeoutMs?: number;
  /** Aborts the request. */
  signal?: AbortSignal;
}

/** The URL of `path` on the current cluster (a server URL with a path prefix keeps it). */
export function apiUrl(kc: KubeConfig, path: string, query: GetJsonOptions["query"] = {}): URL {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("kubeconfig has no current cluster");
  const url = new URL(cluster.server.replace(/\/+$/, "") + path);
  for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value));
  return url;
}

export async function getJson(kc: KubeConfig, path: string, options: GetJsonOptions = {}): Promise<unknown> {
  return requestJson(kc, "GET", path, options);
}

export interface RequestJsonOptions extends GetJsonOptions {
  /** Sent as JSON. */
  body?: unknown;
  /** Content-Type of the body; default application/json. */
  contentType?: string;
}

/**
 * A JSON request in the wire shape: generated clients serialize typed bodies
 * through their models (an ingress rule's `from` is the model's `_from`), so a
 * plain object loses fields there. Writes of plain objects go through here.
 * Each call makes (and closes) its own connection; see KeepAliveJson for many.
 */
export async function requestJson(kc: KubeConfig, method: string, path: string, options: RequestJsonOptions = {}): Promise<unknown> {
  const url = apiUrl(kc, path, options.query);
  const request: https.RequestOptions = { method, headers: {} };
  await kc.applyToHTTPSOptions(request);
  const agent = request.agent;
  try {
    return await exchange(url, method, request.headers, agent, options);
  } finally {
    // client-node makes a new agent per call; close its sockets now rather than at GC.
    if (agent instanceof http.Agent) agent.destroy();
  }
}

/**
 * Plain-JSON requests on ONE keep-alive agent. client-node 1.4 (and
 * requestJson) build a new https.Agent per call, so every write paid a TLS
 * handshake, which bounded the write rate (docs/benchmarks.md has the
 * figures). Credentials are applied per request (a token in
 * the headers may rotate); the client certificate and CA go into the shared
 * agent once.
 */
export class KeepAliveJson {
  private agent: http.Agent | undefined;

  constructor(
    private readonly kc: KubeConfig,
    private readonly maxSockets = 128,
  ) {}

  async request(method: string, path: string, options: RequestJsonOptions = {}): Promise<unknown> {
    const url = apiUrl(this.kc, path, options.query);
    const init: https.RequestOptions = { method, headers: {} };
    await this.kc.applyToHTTPSOptions(init);
    const made = init.agent;
    if (!this.agent) {
      const tls = made instanceof https.Agent ? made.options : {};
      this.agent = url.protocol === "http:" ? new http.Agent({ keepAlive: true, maxSockets: this.maxSockets }) : new https.Agent({ ...tls, keepAlive: true, maxSockets: this.maxSockets });
    }
    if (made instanceof http.Agent) made.destroy();
    return exchange(url, method, init.headers, this.agent, options);
  }

  /** Closes idle connections (shutdown). */
  close(): void {
    this.agent?.destroy();
  }
}

/** Sends one request and reads a JSON answer; non-2xx rejects with client-node's ApiException. */
function exchange(url: URL, method: string, baseHeaders: https.RequestOptions["headers"], agent: https.RequestOptions["agent"], options: RequestJsonOptions): Promise<unknown> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers = {
    ...(baseHeaders as Record<string, string | string[] | undefined>),
    Accept: options.accept ?? "application/json",
    // Always a Content-Length: Node sends a DELETE body neither chunked nor sized, and on a
    // kept-alive connection the server then reads it as the start of the next request.
    ...(payload === undefined ? {} : { "Content-Type": options.contentType ?? "application/json", "Content-Length": String(Buffer.byteLength(payload)) }),
  };
  const signals = [AbortSignal.timeout(options.timeoutMs ?? 60_000), ...(options.signal ? [options.signal] : [])];
  const send = url.protocol === "http:" ? http.request : https.request;
  return new Promise<unknown>((resolve, reject) => {
    const req = send(url, { method, headers, agent, signal: AbortSignal.any(signals) }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const status = res.statusCode ?? 0;
        if (status < 200 || status > 299) {
          const responseHeaders: Record<string, string> = {};
          for (const [key, value] of Object.entries(res.headers)) if (typeof value === "string") responseHeaders[key] = value;
          reject(new ApiException(status, `${method} ${url.pathname} failed`, text, responseHeaders));
          return;
        }
        try {
          resolve(text ? JSON.parse(text) : undefined);
        } catch (err) {
          reject(new Error(`${method} ${url.pathname}: the API server sent invalid JSON: ${err instanceof Error ? err.message : String(err)}`));
        }
      });
    });
    req.on("error", reject);
    req.end(payload);
  });
}
