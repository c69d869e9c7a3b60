import { readFileSync } from "node:fs";
import { DEFAULT_OPERATOR_NAMESPACE, LIMITS } from "../api/constants.js";
import { defaultRunConfig, run, type RunConfig } from "../main.js";
import { isLogLevel } from "../observability/logger.js";
import type { DeclaredDataPlane } from "../io/data-plane.js";
import { parseEnforces } from "../policy/enforcement.js";
import { command, UsageError, type Options, type ValuesOf } from "./command.js";

const d = defaultRunConfig;

const RUN_OPTIONS = {
  kubeconfig: { type: "string", valueName: "path", description: "kubeconfig file (default: in-cluster config, then $KUBECONFIG, then ~/.kube/config)" },
  namespace: { type: "string", valueName: "ns", description: "netfence's own namespace: the leader Lease lives here and it is never isolated (default: the pod's namespace, else netfence-system)" },
  "profile-selector": { type: "string", valueName: "selector", description: "only reconcile IsolationProfiles matching this label selector (e.g. tier=canary); default all" },
  "leader-elect": { type: "boolean", description: "elect a leader on a Lease so only one replica writes (15s lease, 10s renew deadline, 2s retry)" },
  "lease-name": { type: "string", valueName: "name", description: "name of the leader-election Lease", default: d.leaseName },
  "metrics-addr": { type: "string", valueName: "addr", description: "address of /metrics; 0 disables", default: d.metricsAddr },
  "health-addr": { type: "string", valueName: "addr", description: "address of /healthz and /readyz; 0 disables", default: d.healthAddr },
  concurrency: { type: "string", valueName: "n", description: "profiles reconciled in parallel", default: String(d.concurrency) },
  "write-concurrency": { type: "string", valueName: "n", description: "writes in flight within one reconcile", default: String(d.writeConcurrency) },
  qps: { type: "string", valueName: "n", description: "sustained API writes per second", default: String(d.qps) },
  burst: { type: "string", valueName: "n", description: "API writes allowed in a burst", default: String(d.burst) },
  "log-level": { type: "string", valueName: "level", description: "trace|debug|info|warn|error|fatal|silent", default: d.logLevel },
  "dns-namespace": { type: "string", valueName: "ns", description: "namespace of cluster DNS for allowDNS", default: d.dnsNamespace },
  "dns-pod-selector": { type: "string", valueName: "k=v,…", description: "labels of cluster DNS pods for allowDNS", default: "k8s-app=kube-dns" },
  "resync-period": { type: "string", valueName: "duration", description: "re-check every profile this often (no writes when nothing changed)", default: "10m" },
  "pod-batch-period": { type: "string", valueName: "duration", description: "pod changes only move status.isolatedPods: re-count a profile at most once per this period (0: on every change)", default: "1s" },
  "status-namespaces": { type: "string", valueName: "n", description: `entries in status.namespaces, problems first (1–${String(LIMITS.statusNamespaces)}); every status write costs the API server in proportion`, default: String(d.statusNamespaces) },
  "data-plane": { type: "string", valueName: "name", description: "the data plane's name, as status reports it (e.g. calico-3.31); with --data-plane-enforces" },
  "data-plane-enforces": {
    type: "string",
    valueName: "kinds",
    description: "what the data plane enforces: none or NetworkPolicy,ClusterNetworkPolicy,AdminNetworkPolicy; default: detect (Calico's ClusterInformation), else unverified",
  },
} satisfies Options;

type Values = ValuesOf<typeof RUN_OPTIONS>;

function positiveNumber(flag: string, value: string | undefined, fallback: number, integer = true): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new UsageError(`--${flag}: expected a positive ${integer ? "integer" : "number"}, got '${value}'`);
  return n;
}

/** "k8s-app=kube-dns,tier=dns" → matchLabels. */
export function parseLabelSelector(flag: string, value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of value.split(",").filter(Boolean)) {
    const [k, v, ...rest] = part.split("=");
    if (!k || v === undefined || rest.length) throw new UsageError(`--${flag}: expected key=value[,key=value…], got '${value}'`);
    out[k.trim()] = v.trim();
  }
  return out;
}

/** "90s", "10m", "1h" or seconds. */
export function parseDuration(flag: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(value.trim());
  if (!m) throw new UsageError(`--${flag}: expected a duration like 30s, 10m or 1h, got '${value}'`);
  const n = Number(m[1]);
  return m[2] === "h" ? n * 3600 : m[2] === "m" ? n * 60 : n;
}

/** A duration that must be more than zero (a zero period would re-run back to back). */
function positiveDuration(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const seconds = parseDuration(flag, value);
  if (seconds <= 0) throw new UsageError(`--${flag}: expected a duration greater than zero, got '${value}'`);
  return seconds;
}

function statusNamespaces(value: string | undefined): number {
  const n = positiveNumber("status-namespaces", value, defaultRunConfig.statusNamespaces);
  if (n > LIMITS.statusNamespaces) throw new UsageError(`--status-namespaces: at most ${String(LIMITS.statusNamespaces)} (the CRD's limit), got '${String(value)}'`);
  return n;
}

function declaredDataPlane(name: string | undefined, enforces: string | undefined): DeclaredDataPlane {
  if (enforces === undefined || enforces === "") {
    if (name) throw new UsageError("--data-plane: name what it enforces with --data-plane-enforces too");
    return {};
  }
  const parsed = parseEnforces(enforces);
  if (!parsed.ok) throw new UsageError(parsed.message);
  return { ...(name ? { name } : {}), enforces: parsed.kinds };
}

/** Where a pod learns its own namespace. */
export interface NamespaceSources {
  env: Readonly<Record<string, string | undefined>>;
  /** The service account's namespace file, if there is one. */
  serviceAccountNamespace: () => string | undefined;
}

const SERVICE_ACCOUNT_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

const thisProcess: NamespaceSources = {
  env: process.env,
  serviceAccountNamespace: () => {
    try {
      return readFileSync(SERVICE_ACCOUNT_NAMESPACE, "utf8").trim();
    } catch {
      return undefined;
    }
  },
};

/** --namespace, else $POD_NAMESPACE, else the service account's namespace, else netfence-system. */
export function operatorNamespace(explicit: string | undefined, sources: NamespaceSources = thisProcess): string {
  return explicit || sources.env.POD_NAMESPACE || sources.serviceAccountNamespace() || DEFAULT_OPERATOR_NAMESPACE;
}

/** The flags as the operator's configuration: validated, defaulted, its own namespace resolved. */
export function toRunConfig(v: Values, sources: NamespaceSources = thisProcess): RunConfig {
  const logLevel = v["log-level"] ?? d.logLevel;
  if (!isLogLevel(logLevel)) throw new UsageError(`--log-level: expected trace, debug, info, warn, error, fatal or silent, got '${logLevel}'`);
  return {
    kubeconfig: v.kubeconfig,
    namespace: operatorNamespace(v.namespace, sources),
    profileSelector: v["profile-selector"],
    leaderElect: v["leader-elect"] ?? d.leaderElect,
    leaseName: v["lease-name"] ?? d.leaseName,
    metricsAddr: v["metrics-addr"] ?? d.metricsAddr,
    healthAddr: v["health-addr"] ?? d.healthAddr,
    concurrency: positiveNumber("concurrency", v.concurrency, d.concurrency),
    qps: positiveNumber("qps", v.qps, d.qps, false),
    burst: positiveNumber("burst", v.burst, d.burst),
    logLevel,
    dnsNamespace: v["dns-namespace"] ?? d.dnsNamespace,
    dnsPodSelector: v["dns-pod-selector"] ? { matchLabels: parseLabelSelector("dns-pod-selector", v["dns-pod-selector"]) } : d.dnsPodSelector,
    resyncSeconds: positiveDuration("resync-period", v["resync-period"], d.resyncSeconds),
    // 0 is meaningful here: re-count on every pod change (no batching).
    podBatchSeconds: v["pod-batch-period"] === undefined ? d.podBatchSeconds : parseDuration("pod-batch-period", v["pod-batch-period"]),
    writeConcurrency: positiveNumber("write-concurrency", v["write-concurrency"], d.writeConcurrency),
    statusNamespaces: statusNamespaces(v["status-namespaces"]),
    dataPlane: declaredDataPlane(v["data-plane"], v["data-plane-enforces"]),
  };
}

/** `netfence run`: the operator. */
export const runCommand = command({
  name: "run",
  summary: "Run the operator: enforce IsolationProfiles in the Admin tier or with NetworkPolicies, heal drift, report status.",
  options: RUN_OPTIONS,
  async run(values) {
    return run(toRunConfig(values));
  },
});
