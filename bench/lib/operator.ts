/** `netfence run` as the benchmarks run it: the client limits of the run, the V8 flags of the deployment. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { OperatorProcess } from "../../src/controlplane/operator.js";
import { packageRoot } from "../../src/lib/package-root.js";
import type { Limits } from "./kube.js";

export type { OperatorProcess };

const MANIFESTS = join(packageRoot, "deploy", "manifests", "netfence.yaml");

interface DeploymentDoc {
  kind?: string;
  spec?: { template?: { spec?: { containers?: { env?: { name: string; value?: string }[] }[] } } };
}

/**
 * The NODE_OPTIONS the chart's Deployment sets with its default values (the
 * raw manifests are rendered from it): the operator is measured as deployed.
 */
export function deployedNodeOptions(): string | undefined {
  for (const doc of parseAllDocuments(readFileSync(MANIFESTS, "utf8"))) {
    const obj = doc.toJS() as DeploymentDoc | null;
    if (obj?.kind !== "Deployment") continue;
    return obj.spec?.template?.spec?.containers?.[0]?.env?.find((e) => e.name === "NODE_OPTIONS")?.value;
  }
  return undefined;
}

export function startOperator(kubeconfig: string, namespace: string, limits: Limits, extra: string[] = []): Promise<OperatorProcess> {
  return OperatorProcess.start({
    kubeconfig,
    namespace,
    logLevel: "warn",
    args: [
      `--qps=${String(limits.qps)}`,
      `--burst=${String(limits.burst)}`,
      `--concurrency=${String(limits.concurrency)}`,
      `--write-concurrency=${String(limits.writeConcurrency)}`,
      ...extra,
    ],
    // The deployment's V8 flags, unless NETFENCE_BENCH_OPERATOR_NODE_OPTIONS says otherwise ("" for none).
    nodeOptions: process.env.NETFENCE_BENCH_OPERATOR_NODE_OPTIONS ?? deployedNodeOptions() ?? "",
  });
}
