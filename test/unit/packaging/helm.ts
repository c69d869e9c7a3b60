/**
 * helm for tests: the binary tools/helm/build.sh builds from the official Go
 * module (cached; the first build takes minutes), and the chart rendered into
 * plain objects.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
/** helm's own cache/config/data, kept out of the user's home. */
const HELM_HOME = join(tmpdir(), "netfence-helm");
export const CHART = `${ROOT}deploy/helm/netfence`;

let binary: string | undefined;

/** The cached helm binary (built on first use; progress on stderr). */
export function helmBinary(): string {
  binary ??= process.env.NETFENCE_HELM ?? execFileSync("bash", [`${ROOT}tools/helm/build.sh`], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim().split("\n").pop() ?? "";
  return binary;
}

export interface HelmResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function helm(args: readonly string[], env: Record<string, string> = {}): HelmResult {
  const r = spawnSync(helmBinary(), args, {
    encoding: "utf8",
    // A throwaway helm home: no repositories, plugins or registry logins of whoever runs the tests.
    env: { ...process.env, HELM_CACHE_HOME: join(HELM_HOME, "cache"), HELM_CONFIG_HOME: join(HELM_HOME, "config"), HELM_DATA_HOME: join(HELM_HOME, "data"), ...env },
    maxBuffer: 32 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

/** `helm template` with --set flags; throws with helm's stderr when rendering fails. */
export function renderChart(set: Record<string, string | number | boolean> = {}, extra: readonly string[] = []): K8sObject[] {
  const flags = Object.entries(set).flatMap(([k, v]) => ["--set", `${k}=${String(v)}`]);
  const r = helm(["template", "netfence", CHART, "--namespace", "netfence-system", ...flags, ...extra]);
  if (r.status !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return parseObjects(r.stdout);
}

export function parseObjects(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

export function find(objects: readonly K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (!found) throw new Error(`no ${kind}${name ? ` ${name}` : ""} in ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(", ")}`);
  return found;
}
