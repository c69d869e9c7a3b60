import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBinaries, type Binaries } from "./binaries.js";
import { createPki, type Pki } from "./pki.js";
import { Component, freePort, tail } from "./process.js";

export interface ControlPlaneOptions {
  /** Keep the data directory (logs, etcd data, kubeconfig) after stop. */
  keepDir?: boolean;
  /** Called with progress lines ("etcd ready in 1.2s"). */
  progress?: (line: string) => void;
  /** Seconds to wait for each component to become healthy. */
  startTimeoutSeconds?: number;
  /**
   * Users whose every request — reads and watches included — the audit log
   * records (Metadata level), e.g. a ServiceAccount whose RBAC a test proves
   * from the verbs it used. Everyone else: mutating requests only.
   */
  auditAllRequestsOf?: readonly string[];
}

interface Tls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/** GET a URL; resolves to the status code and body (0 when nothing answers). */
export function httpsGet(url: string, tls?: Tls, timeoutMs = 2000): Promise<{ status: number; body: string }> {
  return new Promise((ok) => {
    const req = request(url, { ...(tls ?? { rejectUnauthorized: false }), timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => (body += c));
      res.on("end", () => ok({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => ok({ status: 0, body: "" }));
    req.end();
  });
}

function httpGet(url: string): Promise<number> {
  return fetch(url, { signal: AbortSignal.timeout(2000) }).then(
    (r) => r.status,
    () => 0,
  );
}

/**
 * Audit mutating requests at Metadata level: tests and benchmarks count the
 * writes a client made (by user, verb, namespace and name) from this log.
 * Requests of `everythingOf` are all recorded, reads and watches too (a watch
 * appears at ResponseStarted, when it opens).
 */
function auditPolicy(everythingOf: readonly string[] = []): string {
  return [
    "apiVersion: audit.k8s.io/v1",
    "kind: Policy",
    "omitStages: [RequestReceived]",
    "rules:",
    ...(everythingOf.length ? ["- level: Metadata", `  users: ${JSON.stringify(everythingOf)}`] : []),
    "- level: Metadata",
    "  verbs: [create, update, patch, delete, deletecollection]",
    "- level: None",
    "",
  ].join("\n");
}

async function writeAuditPolicy(dir: string, everythingOf: readonly string[] | undefined): Promise<string> {
  const path = join(dir, "audit-policy.yaml");
  await writeFile(path, auditPolicy(everythingOf));
  return path;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A real, local Kubernetes control plane: etcd, kube-apiserver (RBAC, client
 * certificates, service-account tokens) and kube-controller-manager (garbage
 * collector, namespace controller), each its own process on loopback ports.
 * There is no kubelet: pods are admitted and stored, never run.
 */
export class ControlPlane {
  private constructor(
    readonly dir: string,
    readonly binaries: Binaries,
    readonly pki: Pki,
    readonly server: string,
    readonly kubeconfigPath: string,
    readonly etcd: Component,
    readonly apiserver: Component,
    readonly controllerManager: Component,
    private readonly tls: Tls,
    private readonly options: ControlPlaneOptions,
  ) {}

  static async start(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
    const say = options.progress ?? (() => undefined);
    const timeout = (options.startTimeoutSeconds ?? 60) * 1000;
    const binaries = await ensureBinaries();
    const dir = await mkdtemp(join(tmpdir(), "netfence-controlplane-"));
    const pki = await createPki(dir);
    const tls: Tls = { ca: await readFile(pki.caCert), cert: await readFile(pki.adminCert), key: await readFile(pki.adminKey) };
    const [etcdPort, etcdPeerPort, apiPort, kcmPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const server = `https://127.0.0.1:${String(apiPort)}`;

    const etcd = new Component("etcd", binaries.etcd, [
      `--data-dir=${join(dir, "etcd")}`,
      `--listen-client-urls=http://127.0.0.1:${String(etcdPort)}`,
      `--advertise-client-urls=http://127.0.0.1:${String(etcdPort)}`,
      `--listen-peer-urls=http://127.0.0.1:${String(etcdPeerPort)}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${String(etcdPeerPort)}`,
      `--initial-cluster=default=http://127.0.0.1:${String(etcdPeerPort)}`,
      "--unsafe-no-fsync=true",
      "--quota-backend-bytes=8589934592",
      "--log-level=warn",
    ], join(dir, "etcd.log"));
    const apiserver = new Component("kube-apiserver", binaries.kubeApiserver, [
      `--etcd-servers=http://127.0.0.1:${String(etcdPort)}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${String(apiPort)}`,
      `--cert-dir=${join(dir, "apiserver-certs")}`,
      `--tls-cert-file=${pki.servingCert}`,
      `--tls-private-key-file=${pki.servingKey}`,
      `--client-ca-file=${pki.caCert}`,
      "--authorization-mode=RBAC",
      `--service-account-issuer=${server}/`,
      `--service-account-key-file=${pki.serviceAccountPublicKey}`,
      `--service-account-signing-key-file=${pki.serviceAccountPrivateKey}`,
      "--service-cluster-ip-range=10.0.0.0/24",
      "--allow-privileged=true",
      "--disable-admission-plugins=ServiceAccount",
      "--endpoint-reconciler-type=none",
      `--audit-policy-file=${await writeAuditPolicy(dir, options.auditAllRequestsOf)}`,
      `--audit-log-path=${join(dir, "audit.log")}`,
      "--audit-log-format=json",
      "--audit-log-mode=batch",
      "--audit-log-batch-max-wait=1s",
      "--max-requests-inflight=1000",
      "--max-mutating-requests-inflight=500",
    ], join(dir, "kube-apiserver.log"));
    const kubeconfigPath = join(dir, "kubeconfig");
    const controllerManager = new Component("kube-controller-manager", binaries.kubeControllerManager, [
      `--kubeconfig=${kubeconfigPath}`,
      "--controllers=garbage-collector-controller,namespace-controller",
      "--leader-elect=false",
      "--bind-address=127.0.0.1",
      `--secure-port=${String(kcmPort)}`,
      `--cert-dir=${join(dir, "controller-manager-certs")}`,
      "--kube-api-qps=200",
      "--kube-api-burst=400",
      "--concurrent-gc-syncs=20",
      "--concurrent-namespace-syncs=10",
    ], join(dir, "kube-controller-manager.log"));

    const plane = new ControlPlane(dir, binaries, pki, server, kubeconfigPath, etcd, apiserver, controllerManager, tls, options);
    try {
      await plane.startAndWait(etcd, () => httpGet(`http://127.0.0.1:${String(etcdPort)}/health`), timeout, say);
      await plane.startAndWait(apiserver, () => plane.get("/readyz").then((r) => r.status), timeout, say);
      await writeFile(kubeconfigPath, plane.kubeconfig(), { mode: 0o600 });
      await plane.startAndWait(controllerManager, () => httpsGet(`https://127.0.0.1:${String(kcmPort)}/healthz`).then((r) => r.status), timeout, say);
    } catch (err) {
      await plane.stop();
      throw err;
    }
    return plane;
  }

  private async startAndWait(c: Component, probe: () => Promise<number>, timeoutMs: number, say: (l: string) => void): Promise<void> {
    const started = Date.now();
    c.start();
    for (;;) {
      if ((await probe()) === 200) break;
      if (c.exit !== undefined) throw new Error(`${c.name} ${c.exit} during startup; last log lines:\n${tail(c.logPath)}`);
      if (Date.now() - started > timeoutMs) throw new Error(`${c.name} not healthy after ${String(timeoutMs / 1000)}s; last log lines:\n${tail(c.logPath)}`);
      await sleep(100);
    }
    say(`${c.name} ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  }

  /** JSON lines of the audit log: every mutating request, and every request of `auditAllRequestsOf` (Metadata level). */
  get auditLogPath(): string {
    return join(this.dir, "audit.log");
  }

  /** An authenticated (system:masters) GET against the apiserver. */
  get(path: string): Promise<{ status: number; body: string }> {
    return httpsGet(`${this.server}${path}`, this.tls);
  }

  /** Restarts kube-apiserver on the same port and data (fault tests). */
  async restartApiServer(downMs = 0): Promise<void> {
    await this.apiserver.stop();
    if (downMs > 0) await sleep(downMs);
    await this.startAndWait(this.apiserver, () => this.get("/readyz").then((r) => r.status), 60_000, () => undefined);
  }

  /** A kubeconfig for the admin client certificate (system:masters). */
  kubeconfig(): string {
    const b64 = (b: Buffer) => b.toString("base64");
    return this.kubeconfigFor("netfence-admin", [`client-certificate-data: ${b64(this.tls.cert)}`, `client-key-data: ${b64(this.tls.key)}`]);
  }

  /** A kubeconfig that authenticates with a bearer token (e.g. a ServiceAccount's). */
  tokenKubeconfig(token: string, user = "token-user"): string {
    return this.kubeconfigFor(user, [`token: ${token}`]);
  }

  private kubeconfigFor(user: string, credentials: string[]): string {
    return [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "- name: netfence-local",
      "  cluster:",
      `    server: ${this.server}`,
      `    certificate-authority-data: ${this.tls.ca.toString("base64")}`,
      "users:",
      `- name: ${user}`,
      "  user:",
      ...credentials.map((line) => `    ${line}`),
      "contexts:",
      "- name: netfence-local",
      "  context:",
      "    cluster: netfence-local",
      `    user: ${user}`,
      "current-context: netfence-local",
      "",
    ].join("\n");
  }

  async stop(): Promise<void> {
    await this.controllerManager.stop();
    await this.apiserver.stop();
    await this.etcd.stop();
    if (!this.options.keepDir) await rm(this.dir, { recursive: true, force: true });
  }
}
