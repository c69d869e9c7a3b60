import { ensureBinaries } from "../controlplane/binaries.js";
import { ControlPlane } from "../controlplane/controlplane.js";
import { command, UsageError } from "./command.js";
import { untilInterrupted } from "./foreground.js";

/** `netfence controlplane up|build`: a real local control plane for people (tests start their own). */
export const controlplaneCommand = command({
  name: "controlplane",
  usage: "up|build",
  summary:
    "Run a local Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager) built from the official Go modules.\n" +
    "  up     build on first use, start it in the foreground, print the kubeconfig; Ctrl-C stops it\n" +
    "  build  build (or find in the cache) the binaries and print their directory",
  options: {
    "keep-dir": { type: "boolean", description: "keep the data directory (logs, etcd data, kubeconfig) after stopping" },
  },
  async run(values, positionals) {
    const [action] = positionals;
    if (action === "build") {
      console.log((await ensureBinaries()).dir);
      return 0;
    }
    if (action !== "up") throw new UsageError(`expected 'up' or 'build', got ${action === undefined ? "nothing" : `'${action}'`}`);
    const plane = await ControlPlane.start({ keepDir: values["keep-dir"] === true, progress: (line) => console.error(line) });
    console.log(`\nControl plane running at ${plane.server} (no kubelet: pods are stored, never run)`);
    console.log(`kubeconfig: ${plane.kubeconfigPath}`);
    console.log(`kubectl:    ${plane.binaries.kubectl}`);
    console.log(`logs:       ${plane.dir}/*.log\n`);
    console.log(`  export KUBECONFIG=${plane.kubeconfigPath}`);
    console.log(`  alias kubectl=${plane.binaries.kubectl}\n`);
    console.log("Press Ctrl-C to stop.");
    await untilInterrupted();
    console.error("\nstopping…");
    await plane.stop();
    return 0;
  },
});
