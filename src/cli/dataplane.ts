import { ControlPlane } from "../controlplane/controlplane.js";
import { addManifestPods, applyNamespaces, applyPolicies } from "../dataplane/cluster.js";
import { ensureFelix } from "../dataplane/binary.js";
import { DataPlane, DEFAULT_POD_CIDR } from "../dataplane/dataplane.js";
import { closeProbeServer, PROBE_SOCKET, serveProbes } from "../dataplane/probe-server.js";
import { readManifests, withoutSource } from "../io/manifests.js";
import { loadKubeConfig } from "../io/kubeconfig.js";
import { createLogger } from "../observability/logger.js";
import { command, UsageError } from "./command.js";
import { untilInterrupted } from "./foreground.js";

/** `netfence dataplane build|up`: Calico felix enforcing NetworkPolicies on real packets (see src/dataplane/). */
export const dataplaneCommand = command({
  name: "dataplane",
  usage: "build|up",
  summary:
    "A real NetworkPolicy data plane on this machine: Calico felix (built from Go modules) and pods as network namespaces.\n" +
    "  build  build (or find in the cache) calico-felix and Calico's CRDs and print their directory\n" +
    "  up     local control plane + data plane + the pods of -f, until Ctrl-C (root with CAP_NET_ADMIN);\n" +
    "         then `netfence probe --from ns/pod --to ns/pod` sends real packets",
  options: {
    file: { type: "string", short: "f", valueName: "cluster.yaml", description: "namespaces, pods (at status.podIP) and NetworkPolicies to create (up)" },
    "pod-cidr": { type: "string", valueName: "cidr", description: "pod range, routed to a blackhole while up", default: DEFAULT_POD_CIDR },
    "keep-dir": { type: "boolean", description: "keep the control plane's data directory afterwards (up)" },
  },
  async run(values, positionals) {
    const [action] = positionals;
    if (action === "build") {
      console.log((await ensureFelix()).dir);
      return 0;
    }
    if (action !== "up") throw new UsageError(`expected 'build' or 'up', got ${action === undefined ? "nothing" : `'${action}'`}`);
    if (!values.file) throw new UsageError("up needs -f cluster.yaml (namespaces and pods to create)");
    const objects = (await readManifests([values.file])).map(withoutSource);
    const log = createLogger({ name: "netfence-dataplane", level: "info", destination: process.stderr });
    const felix = await ensureFelix();
    const plane = await ControlPlane.start({ keepDir: values["keep-dir"] === true, progress: (line) => console.error(line) });
    let data: DataPlane | undefined;
    try {
      data = await DataPlane.start({ kubeconfig: plane.kubeconfigPath, podCidr: values["pod-cidr"] ?? DEFAULT_POD_CIDR, felix, log });
      const kc = loadKubeConfig({ kubeconfig: plane.kubeconfigPath });
      const namespaces = await applyNamespaces(kc, objects);
      const pods = await addManifestPods(data, objects);
      const policies = await applyPolicies(kc, objects);
      await data.sync();
      const server = await serveProbes((spec) => (data as DataPlane).probe(spec), log);
      console.log(`\nData plane running: calico-felix pid ${String(data.felixPid)} as node ${data.node}, pod range ${data.podCidr} (blackholed)`);
      console.log(`namespaces: ${namespaces.join(", ") || "(none)"}; NetworkPolicies: ${String(policies)}`);
      for (const p of pods) console.log(`  ${`${p.namespace}/${p.name}`.padEnd(24)} ${p.ip.padEnd(15)} netns ${p.netns}  veth ${p.veth}`);
      console.log(`\n  export KUBECONFIG=${plane.kubeconfigPath}`);
      console.log(`  alias kubectl=${plane.binaries.kubectl}\n`);
      console.log(`Probe with: netfence probe --from <ns/pod> --to <ns/pod> [--protocol TCP|UDP|ICMP --port 80]  (socket ${PROBE_SOCKET})`);
      console.log("Press Ctrl-C to stop and remove everything.");
      await untilInterrupted();
      console.error("\nstopping…");
      await closeProbeServer(server);
    } finally {
      await data?.stop();
      await plane.stop();
    }
    return 0;
  },
});
