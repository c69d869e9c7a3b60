/**
 * The benchmark's cluster: one local control plane per `npm run bench`
 * (shared by every scenario of the run), the IsolationProfile CRD, and a pool
 * of namespaces created once and reused: `bench-00000` … labelled so a profile
 * can select exactly the first N of them (`bench.netfence.io/first-<N>=yes`).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { parse as parseYaml } from "yaml";
import { ControlPlane } from "../../src/controlplane/controlplane.js";
import { getJson } from "../../src/io/client.js";
import { packageRoot } from "../../src/lib/package-root.js";
import { call, callIdempotent, closeTransports, MERGE_PATCH, pool } from "./kube.js";
import { progress, until } from "./report.js";

const CRD_FILE = join(packageRoot, "crds", "isolationprofiles.netfence.io.yaml");
/** Setup writes (namespaces, pods) in flight: fast, well under the apiserver's inflight limits. */
export const SETUP_CONCURRENCY = 48;
/** Sizes every pool namespace is labelled for at creation (others are labelled on demand). */
const STANDARD_SIZES = [2000, 10000];
export const OPERATOR_NAMESPACE = "netfence-bench-system";
export const POOL_LABEL = "bench.netfence.io/pool";

export const firstLabel = (n: number) => `bench.netfence.io/first-${String(n)}`;
export const poolName = (i: number) => `bench-${String(i).padStart(5, "0")}`;

export class BenchEnv {
  private namespaces = 0;
  private readonly labelled = new Set<number>(STANDARD_SIZES);
  private podsPerNamespace = 0;

  private constructor(
    readonly plane: ControlPlane,
    readonly kc: KubeConfig,
  ) {}

  get kubeconfigPath(): string {
    return this.plane.kubeconfigPath;
  }

  static async start(): Promise<BenchEnv> {
    const t0 = Date.now();
    const plane = await ControlPlane.start({ progress: (l) => progress(`control plane: ${l}`) });
    const kc = new KubeConfig();
    kc.loadFromFile(plane.kubeconfigPath);
    const env = new BenchEnv(plane, kc);
    await env.installCrd();
    await callIdempotent(kc, "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: OPERATOR_NAMESPACE } });
    progress(`control plane up at ${plane.server} in ${((Date.now() - t0) / 1000).toFixed(1)}s (kube-apiserver --max-requests-inflight=1000 --max-mutating-requests-inflight=500)`);
    return env;
  }

  private async installCrd(): Promise<void> {
    const crd = parseYaml(readFileSync(CRD_FILE, "utf8")) as { metadata: { name: string } };
    await callIdempotent(this.kc, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
    await until(async () => {
      const got = (await getJson(this.kc, `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`)) as { status?: { conditions?: { type: string; status: string }[] } };
      return got.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") ? true : undefined;
    }, "the CRD to be Established", 30_000);
  }

  /** Makes sure pool namespaces 0..n-1 exist and carry `first-<n>=yes`; returns the label selector for them. */
  async ensureNamespaces(n: number): Promise<Record<string, string>> {
    if (!this.labelled.has(n)) {
      const existing = Array.from({ length: Math.min(n, this.namespaces) }, (_, i) => i);
      if (existing.length) progress(`labelling ${String(existing.length)} existing namespaces with ${firstLabel(n)}`);
      await pool(existing, SETUP_CONCURRENCY, (i) => call(this.kc, "PATCH", `/api/v1/namespaces/${poolName(i)}`, { metadata: { labels: { [firstLabel(n)]: "yes" } } }, MERGE_PATCH));
      this.labelled.add(n);
    }
    if (n > this.namespaces) {
      const t0 = performance.now();
      const todo = Array.from({ length: n - this.namespaces }, (_, k) => this.namespaces + k);
      let done = 0;
      await pool(todo, SETUP_CONCURRENCY, async (i) => {
        const labels: Record<string, string> = { [POOL_LABEL]: "yes" };
        for (const size of this.labelled) if (i < size) labels[firstLabel(size)] = "yes";
        await callIdempotent(this.kc, "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: poolName(i), labels } });
        if (++done % 1000 === 0) progress(`namespaces: ${String(this.namespaces + done)} of ${String(n)}`);
      });
      this.namespaces = n;
      const ms = performance.now() - t0;
      progress(`created ${String(todo.length)} namespaces in ${(ms / 1000).toFixed(1)}s (${Math.round(todo.length / (ms / 1000))}/s, ${String(SETUP_CONCURRENCY)} in flight)`);
    }
    return { [firstLabel(n)]: "yes" };
  }

  /** `perNamespace` pods (no kubelet: stored, never run) in pool namespaces 0..n-1. */
  async ensurePods(n: number, perNamespace: number): Promise<void> {
    await this.ensureNamespaces(n);
    if (this.podsPerNamespace >= perNamespace) return;
    const t0 = performance.now();
    const todo: [number, number][] = [];
    for (let i = 0; i < n; i++) for (let k = this.podsPerNamespace; k < perNamespace; k++) todo.push([i, k]);
    let done = 0;
    await pool(todo, SETUP_CONCURRENCY, async ([i, k]) => {
      const pod = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: `pod-${String(k)}`, labels: { app: k % 2 ? "api" : "web", "bench.netfence.io/pod": String(k) } },
        spec: { containers: [{ name: "app", image: "registry.k8s.io/pause:3.10" }] },
      };
      await callIdempotent(this.kc, "POST", `/api/v1/namespaces/${poolName(i)}/pods`, pod);
      if (++done % 2000 === 0) progress(`pods: ${String(done)} of ${String(todo.length)}`);
    });
    this.podsPerNamespace = perNamespace;
    const ms = performance.now() - t0;
    progress(`created ${String(todo.length)} pods in ${(ms / 1000).toFixed(1)}s (${Math.round(todo.length / (ms / 1000))}/s)`);
  }

  async stop(): Promise<void> {
    closeTransports();
    await this.plane.stop();
  }
}

let shared: Promise<BenchEnv> | undefined;

/** The run's environment, started on first use and shared by every scenario of the run. */
export function benchEnv(): Promise<BenchEnv> {
  shared ??= BenchEnv.start();
  return shared;
}

/** Stops the control plane if a scenario started it. */
export async function closeBenchEnv(): Promise<void> {
  if (!shared) return;
  const env = await shared.catch(() => undefined);
  shared = undefined;
  await env?.stop();
}
