/**
 * Typed errors at the edge: every failure of a call to the API server (a
 * client-node `ApiException`, a watch `Error` carrying `statusCode`, a network
 * or abort error) is classified into one `KubeError` with a `kind`, whether a
 * retry can help, and a one-line message. Controllers branch on `kind` and
 * `retryable`, never on HTTP codes or message text.
 *
 * `ApiException.body` is, in client-node 1.4.0, the raw response text (a JSON
 * `Status`), `undefined` for 401, and sometimes an already-parsed object.
 */
import { ApiException } from "@kubernetes/client-node";
import { isRecord } from "../lib/is-record.js";

/** One field error of an `Invalid` (422) Status: `details.causes[]`. */
export interface FieldCause {
  field?: string;
  reason?: string;
  message: string;
}

interface Common {
  /** One line, no stack, suitable for a condition message. */
  message: string;
  retryable: boolean;
  /** HTTP status when the server answered. */
  code?: number;
  /** The Status `reason` (e.g. "AlreadyExists", "Expired") when present. */
  reason?: string;
}

export type KubeError =
  | (Common & { kind: "NotFound"; retryable: false })
  | (Common & { kind: "Conflict"; retryable: true })
  | (Common & { kind: "AlreadyExists"; retryable: false })
  | (Common & { kind: "Invalid"; retryable: false; causes: FieldCause[] })
  | (Common & { kind: "Forbidden"; retryable: false })
  | (Common & { kind: "Unauthorized"; retryable: false })
  | (Common & { kind: "TooManyRequests"; retryable: true; retryAfterSeconds?: number })
  | (Common & { kind: "ServerError"; retryable: true })
  | (Common & { kind: "Network"; retryable: true })
  | (Common & { kind: "Unknown" });

/** The parts of a metav1.Status we use. */
interface Status {
  message?: string;
  reason?: string;
  code?: number;
  details?: { causes?: { field?: string; reason?: string; message?: string }[]; retryAfterSeconds?: number };
}

/** Socket-level error codes (Node, undici, node-fetch `FetchError.code`) a retry may fix. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "ESOCKETTIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EPROTO",
  "ERR_STREAM_PREMATURE_CLOSE",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

function oneLine(text: string, max = 500): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Parses an ApiException body (JSON text, object, or nothing) into a Status. */
export function parseStatus(body: unknown): Status | undefined {
  let value: unknown = body;
  if (typeof body === "string") {
    try {
      value = JSON.parse(body);
    } catch {
      return body.trim() ? { message: body } : undefined;
    }
  }
  if (!isRecord(value)) return undefined;
  const status: Status = {};
  if (typeof value.message === "string") status.message = value.message;
  if (typeof value.reason === "string") status.reason = value.reason;
  if (typeof value.code === "number") status.code = value.code;
  const details = value.details;
  if (isRecord(details)) {
    status.details = {};
    if (typeof details.retryAfterSeconds === "number") status.details.retryAfterSeconds = details.retryAfterSeconds;
    if (Array.isArray(details.causes)) {
      status.details.causes = details.causes.filter(isRecord).map((c) => ({
        ...(typeof c.field === "string" ? { field: c.field } : {}),
        ...(typeof c.reason === "string" ? { reason: c.reason } : {}),
        ...(typeof c.message === "string" ? { message: c.message } : {}),
      }));
    }
  }
  return status;
}

function header(headers: unknown, name: string): string | undefined {
  if (!isRecord(headers)) return undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name && typeof value === "string") return value;
  }
  return undefined;
}

function retryAfter(status: Status | undefined, headers: unknown): number | undefined {
  if (status?.details?.retryAfterSeconds !== undefined) return status.details.retryAfterSeconds;
  const value = header(headers, "retry-after");
  if (value === undefined) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

/** Classifies an HTTP failure from its status code, Status body and headers. */
export function fromHttp(code: number, body: unknown, headers?: unknown): KubeError {
  const status = parseStatus(body);
  const reason = status?.reason;
  const text = oneLine(status?.message ?? `HTTP ${String(code)}${reason ? ` ${reason}` : ""}`);
  const common = { code, message: text, ...(reason ? { reason } : {}) };
  switch (code) {
    case 400:
    case 422: {
      const causes = (status?.details?.causes ?? []).map((c) => ({
        ...(c.field !== undefined ? { field: c.field } : {}),
        ...(c.reason !== undefined ? { reason: c.reason } : {}),
        message: oneLine(c.message ?? c.reason ?? "invalid"),
      }));
      return { ...common, kind: "Invalid", retryable: false, causes };
    }
    case 401:
      return { ...common, kind: "Unauthorized", retryable: false, message: status?.message ? text : "Unauthorized: the API server rejected the credentials" };
    case 403:
      return { ...common, kind: "Forbidden", retryable: false };
    case 404:
      return { ...common, kind: "NotFound", retryable: false };
    case 409:
      return reason === "AlreadyExists" ? { ...common, kind: "AlreadyExists", retryable: false } : { ...common, kind: "Conflict", retryable: true };
    case 429: {
      const seconds = retryAfter(status, headers);
      return { ...common, kind: "TooManyRequests", retryable: true, ...(seconds !== undefined ? { retryAfterSeconds: seconds } : {}) };
    }
    default:
      if (code >= 500) return { ...common, kind: "ServerError", retryable: true };
      // 408 Request Timeout and 410 Gone/Expired are worth a retry (a relist fixes 410).
      return { ...common, kind: "Unknown", retryable: code === 408 || code === 410 };
  }
}

/** Classifies anything thrown by client-node, a watch, fetch or node:https. */
export function classify(err: unknown): KubeError {
  if (err instanceof ApiException) return fromHttp(err.code, err.body, err.headers);
  if (!isRecord(err)) return { kind: "Unknown", retryable: false, message: oneLine(String(err)) };
  // Watch errors (client-node Watch) carry `statusCode`; some Status-shaped errors carry a numeric `code`.
  if (typeof err.statusCode === "number") return fromHttp(err.statusCode, err.body ?? { message: err.message });
  if (typeof err.code === "number" && err.code >= 400 && err.code < 600) return fromHttp(err.code, err.body ?? err);
  const message = oneLine(typeof err.message === "string" && err.message ? err.message : JSON.stringify(err));
  const name = typeof err.name === "string" ? err.name : "";
  const code = typeof err.code === "string" ? err.code : undefined;
  const cause = isRecord(err.cause) && typeof err.cause.code === "string" ? err.cause.code : undefined;
  if (name === "AbortError" || name === "TimeoutError" || name === "FetchError" || (code && NETWORK_CODES.has(code)) || (cause && NETWORK_CODES.has(cause))) {
    return { kind: "Network", retryable: true, message };
  }
  return { kind: "Unknown", retryable: false, message };
}

/** A short human line for logs: `Invalid (422): spec.x: Required value`. */
export function describe(error: KubeError): string {
  const head = error.code !== undefined ? `${error.kind} (${String(error.code)})` : error.kind;
  return `${head}: ${error.message}`;
}
