/**
 * Plain-JSON requests for the benchmark's own setup and its floor clients, on
 * the same keep-alive transport the operator writes with (src/io/client.ts KeepAliveJson).
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { KeepAliveJson } from "../../src/io/client.js";
import { classify } from "../../src/io/errors.js";
import { TokenBucket } from "../../src/lib/ratelimit.js";
import { pool } from "../../src/lib/pool.js";

export { pool };

const transports = new Map<KubeConfig, KeepAliveJson>();

/** The operator's own write transport (one kept-alive connection pool per kubeconfig). */
export function transport(kc: KubeConfig): KeepAliveJson {
  let t = transports.get(kc);
  if (!t) transports.set(kc, (t = new KeepAliveJson(kc, 128)));
  return t;
}

/** Closes the kept-alive connections (end of the run). */
export function closeTransports(): void {
  for (const t of transports.values()) t.close();
  transports.clear();
}

/** A request that retries what the API server says to retry (429, 5xx, network) a few times. */
export async function call(kc: KubeConfig, method: string, path: string, body?: unknown, contentType?: string, query?: Record<string, string>): Promise<unknown> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await transport(kc).request(method, path, { ...(body === undefined ? {} : { body }), ...(contentType ? { contentType } : {}), ...(query ? { query } : {}) });
    } catch (err) {
      const e = classify(err);
      if (!e.retryable || attempt >= 8) throw err;
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
    }
  }
}

/** Like `call`, but a NotFound / AlreadyExists is success. */
export async function callIdempotent(kc: KubeConfig, method: string, path: string, body?: unknown, contentType?: string): Promise<void> {
  try {
    await call(kc, method, path, body, contentType);
  } catch (err) {
    const kind = classify(err).kind;
    if (kind !== "NotFound" && kind !== "AlreadyExists") throw err;
  }
}

export const NP_PATH = (ns: string) => `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies`;
export const APPLY_PATCH = "application/apply-patch+yaml";
export const MERGE_PATCH = "application/merge-patch+json";

/** Fixed client-side limits: the floor and the operator use the same numbers. */
export interface Limits {
  qps: number;
  burst: number;
  /** Parallel writes in flight (the operator's --write-concurrency). */
  writeConcurrency: number;
  /** Reconcile workers (the operator's --concurrency). */
  concurrency: number;
}

export const DEFAULT_LIMITS: Limits = { qps: 200, burst: 400, writeConcurrency: 32, concurrency: 4 };

export function describeLimits(l: Limits): string {
  return `client limits (operator and floor alike): qps ${String(l.qps)}, burst ${String(l.burst)}, write concurrency ${String(l.writeConcurrency)}, reconcile workers ${String(l.concurrency)}`;
}

/**
 * The floor: a bare client sending the same requests the operator would, at the
 * same qps/burst and write concurrency, through the same token bucket and the
 * same plain-JSON keep-alive transport (src/io/client.ts KeepAliveJson), with nothing else to do. Resolves with failures counted.
 */
export async function floorWrites<T>(kc: KubeConfig, limits: Limits, items: readonly T[], send: (item: T) => { method: string; path: string; body: unknown; contentType?: string; query?: Record<string, string> }): Promise<{ failed: number; firstError?: string }> {
  const bucket = new TokenBucket({ qps: limits.qps, burst: limits.burst });
  let failed = 0;
  let firstError: string | undefined;
  const http = new KeepAliveJson(kc, limits.writeConcurrency * limits.concurrency);
  await pool(items, limits.writeConcurrency, async (item) => {
    const wait = bucket.reserve();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const req = send(item);
    try {
      await http.request(req.method, req.path, { body: req.body, ...(req.contentType ? { contentType: req.contentType } : {}), ...(req.query ? { query: req.query } : {}) });
    } catch (err) {
      failed++;
      firstError ??= classify(err).message;
    }
  });
  http.close();
  return firstError === undefined ? { failed } : { failed, firstError };
}
