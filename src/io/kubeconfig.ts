/**
 * Where the operator's API credentials come from: an explicit kubeconfig file
 * (`--kubeconfig`), else client-node's default search (KUBECONFIG, ~/.kube/config,
 * the in-cluster service account). When nothing is found client-node silently
 * falls back to http://localhost:8080; this module turns that into a clear error.
 */
import { existsSync } from "node:fs";
import { KubeConfig } from "@kubernetes/client-node";

export interface KubeConfigOptions {
  /** A kubeconfig file; overrides the default search. */
  kubeconfig?: string;
  /** A context of that file; default its current-context. */
  context?: string;
}

export class KubeConfigError extends Error {
  override readonly name = "KubeConfigError";
}

const SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

export function loadKubeConfig(options: KubeConfigOptions = {}): KubeConfig {
  const kc = new KubeConfig();
  if (options.kubeconfig) {
    if (!existsSync(options.kubeconfig)) throw new KubeConfigError(`kubeconfig ${options.kubeconfig}: no such file`);
    try {
      kc.loadFromFile(options.kubeconfig);
    } catch (err) {
      throw new KubeConfigError(`kubeconfig ${options.kubeconfig}: ${err instanceof Error ? err.message : String(err)}`);
    }
  } else {
    try {
      kc.loadFromDefault();
    } catch (err) {
      throw new KubeConfigError(`kubeconfig${process.env.KUBECONFIG ? ` ${process.env.KUBECONFIG}` : ""}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (isLocalhostFallback(kc)) {
      throw new KubeConfigError("no Kubernetes credentials found: pass --kubeconfig, set KUBECONFIG, create ~/.kube/config, or run in a pod with a service account");
    }
    if (kc.getCurrentCluster()?.name === "inCluster" && !process.env.KUBERNETES_SERVICE_HOST) {
      throw new KubeConfigError(`found ${SERVICE_ACCOUNT_TOKEN} but KUBERNETES_SERVICE_HOST is not set`);
    }
  }
  if (options.context) {
    if (!kc.getContexts().some((c) => c.name === options.context)) {
      throw new KubeConfigError(`kubeconfig has no context "${options.context}" (have: ${kc.getContexts().map((c) => c.name).join(", ") || "none"})`);
    }
    kc.setCurrentContext(options.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server) throw new KubeConfigError(`kubeconfig context "${kc.getCurrentContext()}" names no cluster with a server`);
  return kc;
}

/** client-node's last resort when it found nothing: cluster "cluster" at http://localhost:8080, user "user". */
function isLocalhostFallback(kc: KubeConfig): boolean {
  const cluster = kc.getCurrentCluster();
  return cluster?.name === "cluster" && cluster.server === "http://localhost:8080" && kc.getCurrentUser()?.name === "user";
}
