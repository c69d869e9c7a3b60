import { describe, expect, it } from "@jest/globals";
import { ApiException } from "@kubernetes/client-node";
import { classify, describe as describeError, type KubeError } from "../../../src/io/errors.js";

function status(code: number, reason: string, message: string, details?: object): string {
  return JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", code, reason, message, details });
}

function api(code: number, body: unknown, headers: Record<string, string> = {}): ApiException<unknown> {
  return new ApiException(code, "Unknown API Status Code!", body, headers);
}

function systemError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe("classify", () => {
  it.each<[string, unknown, Partial<KubeError>]>([
    ["a 404 is NotFound and final", api(404, status(404, "NotFound", 'networkpolicies "x" not found')), { kind: "NotFound", retryable: false, code: 404, message: 'networkpolicies "x" not found' }],
    ["a 409 Conflict is retryable", api(409, status(409, "Conflict", "the object has been modified")), { kind: "Conflict", retryable: true, reason: "Conflict" }],
    ["a 409 AlreadyExists is not a conflict", api(409, status(409, "AlreadyExists", 'networkpolicies "x" already exists')), { kind: "AlreadyExists", retryable: false }],
    ["a 403 is Forbidden", api(403, status(403, "Forbidden", "forbidden: namespace x is being terminated")), { kind: "Forbidden", retryable: false }],
    ["a 401 without a body is Unauthorized", api(401, undefined), { kind: "Unauthorized", retryable: false, message: "Unauthorized: the API server rejected the credentials" }],
    ["a 429 takes retry-after from the Status", api(429, status(429, "TooManyRequests", "slow down", { retryAfterSeconds: 3 })), { kind: "TooManyRequests", retryable: true, retryAfterSeconds: 3 }],
    ["a 429 takes retry-after from the header", api(429, "", { "retry-after": "7" }), { kind: "TooManyRequests", retryable: true, retryAfterSeconds: 7 }],
    ["a 500 is a retryable ServerError", api(500, status(500, "InternalError", "etcd\nleader changed")), { kind: "ServerError", retryable: true, message: "etcd leader changed" }],
    ["a 503 with a text body is a ServerError", api(503, "service unavailable"), { kind: "ServerError", retryable: true, message: "service unavailable" }],
    ["a 504 Timeout is a ServerError", api(504, status(504, "Timeout", "request timed out")), { kind: "ServerError", retryable: true }],
    ["a 410 Expired is worth a retry", api(410, status(410, "Expired", "too old resource version")), { kind: "Unknown", retryable: true, reason: "Expired" }],
    ["an already-parsed body is read too", api(404, { kind: "Status", reason: "NotFound", message: "gone" }), { kind: "NotFound", message: "gone" }],
    ["a watch error with statusCode", Object.assign(new Error("Forbidden"), { statusCode: 403 }), { kind: "Forbidden", code: 403, message: "Forbidden" }],
    ["ECONNREFUSED is a retryable Network error", systemError("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:6443"), { kind: "Network", retryable: true, message: "connect ECONNREFUSED 127.0.0.1:6443" }],
    ["ECONNRESET is a Network error", systemError("ECONNRESET", "socket hang up"), { kind: "Network", retryable: true }],
    ["an AbortError is a Network error", Object.assign(new Error("The operation was aborted"), { name: "AbortError" }), { kind: "Network", retryable: true }],
    ["a TimeoutError is a Network error", Object.assign(new Error("timed out"), { name: "TimeoutError" }), { kind: "Network", retryable: true }],
    ["a fetch error caused by a reset is a Network error", new TypeError("fetch failed", { cause: { code: "ECONNRESET" } }), { kind: "Network", retryable: true }],
    ["a plain Error is Unknown and final", new Error("something odd"), { kind: "Unknown", retryable: false, message: "something odd" }],
    ["a thrown string is Unknown", "bad", { kind: "Unknown", retryable: false, message: "bad" }],
  ])("%s", (_name, err, expected) => {
    expect(classify(err)).toMatchObject(expected);
  });

  it("an Invalid error carries the field causes", () => {
    const body = status(422, "Invalid", 'NetworkPolicy.networking.k8s.io "x" is invalid: spec.ingress[0].from[0].ipBlock.cidr: Invalid value: "10.0.0.300/8"', {
      causes: [{ reason: "FieldValueInvalid", message: 'Invalid value: "10.0.0.300/8"', field: "spec.ingress[0].from[0].ipBlock.cidr" }, { reason: "FieldValueRequired" }],
    });
    expect(classify(api(422, body))).toEqual({
      kind: "Invalid",
      retryable: false,
      code: 422,
      reason: "Invalid",
      message: 'NetworkPolicy.networking.k8s.io "x" is invalid: spec.ingress[0].from[0].ipBlock.cidr: Invalid value: "10.0.0.300/8"',
      causes: [
        { field: "spec.ingress[0].from[0].ipBlock.cidr", reason: "FieldValueInvalid", message: 'Invalid value: "10.0.0.300/8"' },
        { reason: "FieldValueRequired", message: "FieldValueRequired" },
      ],
    });
  });

  it("describes an error in one line", () => {
    expect(describeError(classify(api(404, status(404, "NotFound", "gone"))))).toBe("NotFound (404): gone");
    expect(describeError(classify(systemError("ECONNRESET", "reset")))).toBe("Network: reset");
  });
});
