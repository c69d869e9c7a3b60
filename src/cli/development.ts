/**
 * The development harness's commands: a local control plane, a data plane on
 * it, the demo, and probes by real packets (src/controlplane, src/dataplane,
 * src/demo). Each is imported only when invoked, so the operator's commands
 * never load the harness, and the container image leaves all of it out
 * (the Dockerfile's `rm` list).
 */
import { subcommand, UsageError, type Subcommand } from "./command.js";

export interface DevelopmentCommand {
  name: string;
  /** One line for the top-level help; `netfence <name> --help` has the rest. */
  summary: string;
  load(): Promise<Subcommand>;
}

export const developmentCommands: readonly DevelopmentCommand[] = [
  {
    name: "controlplane",
    summary: "Run a local Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager) built from Go modules.",
    load: async () => subcommand((await import("./controlplane.js")).controlplaneCommand),
  },
  {
    name: "demo",
    summary: "Replay the namespace-isolation walkthrough on a local control plane.",
    load: async () => subcommand((await import("./demo.js")).demoCommand),
  },
  {
    name: "dataplane",
    summary: "A real NetworkPolicy data plane on this machine: Calico felix and pods as network namespaces.",
    load: async () => subcommand((await import("./dataplane.js")).dataplaneCommand),
  },
  {
    name: "probe",
    summary: "Send real packets between two pods of the running `netfence dataplane up`.",
    load: async () => subcommand((await import("./probe.js")).probeCommand),
  },
];

/** Loads a development command; where its modules are absent (the container image), says so in one line. */
export async function loadDevelopmentCommand(command: DevelopmentCommand): Promise<Subcommand> {
  try {
    return await command.load();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ERR_MODULE_NOT_FOUND") throw err;
    throw new UsageError("a development command, not in the container image; it comes with the npm package and the repository");
  }
}
