import { randomBytes } from "node:crypto";
import * as k8s from "@kubernetes/client-node";

/** The kubeconfig of the run's control plane (written by global-setup). */
export function kubeConfig(): k8s.KubeConfig {
  const path = process.env.NETFENCE_TEST_KUBECONFIG;
  if (!path) throw new Error("NETFENCE_TEST_KUBECONFIG is not set: integration tests run under jest's global setup (npm test)");
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

export function kubeconfigPath(): string {
  const path = process.env.NETFENCE_TEST_KUBECONFIG;
  if (!path) throw new Error("NETFENCE_TEST_KUBECONFIG is not set");
  return path;
}

/** A name no other test uses: `<prefix>-<6 hex>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString("hex")}`;
}

/** Polls until `check` returns a value other than undefined, or fails with the last state. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${String(timeoutMs)}ms waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The HTTP status of a failed client-node call (ApiException.code), or undefined. */
export function statusCode(err: unknown): number | undefined {
  return err instanceof k8s.ApiException ? err.code : undefined;
}
