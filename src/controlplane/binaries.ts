import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../lib/package-root.js";

export interface Binaries {
  dir: string;
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubectl: string;
}

/**
 * Builds etcd, kube-apiserver, kube-controller-manager and kubectl from the
 * official Go modules on first use (tools/controlplane/build.sh) and returns
 * the cached binaries. Build progress streams to stderr.
 */
export async function ensureBinaries(): Promise<Binaries> {
  const script = join(packageRoot, "tools", "controlplane", "build.sh");
  if (!existsSync(script)) throw new Error(`control plane build script not found at ${script}`);
  const dir = await new Promise<string>((ok, fail) => {
    const child = spawn("bash", [script], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    child.on("error", fail);
    child.on("exit", (code) => {
      const last = out.trim().split("\n").pop() ?? "";
      if (code === 0 && last) ok(last);
      else fail(new Error(`building the control plane failed (exit ${String(code)}); see the output above`));
    });
  });
  return {
    dir,
    etcd: join(dir, "etcd"),
    kubeApiserver: join(dir, "kube-apiserver"),
    kubeControllerManager: join(dir, "kube-controller-manager"),
    kubectl: join(dir, "kubectl"),
  };
}
