/**
 * The upstream ClusterNetworkPolicy CRD (sigs.k8s.io/network-policy-api, standard
 * channel, pinned by tools/controlplane/network-policy-api.sh) on a control plane.
 * Served is not enforced: nothing on the local control plane enforces these
 * policies; they are there so `netfence matrix | check | explain` can read them.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { installCalicoCrds } from "../dataplane/api.js";
import { ensureFelix } from "../dataplane/binary.js";
import { packageRoot } from "../lib/package-root.js";

/** Fetches (once, cached outside the repository) and returns the directory of the pinned CRDs. */
export function ensureNetworkPolicyApiCrds(): Promise<string> {
  const script = join(packageRoot, "tools", "controlplane", "network-policy-api.sh");
  if (!existsSync(script)) return Promise.reject(new Error(`network-policy-api fetch script not found at ${script}`));
  return new Promise((ok, fail) => {
    const child = spawn("bash", [script], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    child.on("error", fail);
    child.on("exit", (code) => {
      const dir = out.trim().split("\n").pop() ?? "";
      if (code === 0 && dir) ok(dir);
      else fail(new Error(`fetching the network-policy-api CRDs failed (exit ${String(code)}); see the output above`));
    });
  });
}

/** Installs the pinned ClusterNetworkPolicy CRD and waits until it is Established; returns how many CRDs. */
export async function installNetworkPolicyApiCrds(kc: KubeConfig): Promise<number> {
  // installCalicoCrds applies every CRD of a directory and waits for Established: nothing Calico-specific.
  return installCalicoCrds(kc, await ensureNetworkPolicyApiCrds());
}

const ANP_CRD = "policy.networking.k8s.io_adminnetworkpolicies.yaml";

/**
 * The AdminNetworkPolicy v1alpha1 CRD alone, from the pinned felix module (felix
 * v3.31.0 enforces it; the data plane installs it with the rest of Calico's).
 */
export async function installAdminNetworkPolicyCrd(kc: KubeConfig): Promise<void> {
  await installCalicoCrds(kc, join((await ensureFelix()).crds, ANP_CRD));
}
