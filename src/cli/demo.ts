import { packageRoot } from "../lib/package-root.js";
import { runDemo } from "../demo/demo.js";
import { command } from "./command.js";

/** `netfence demo`: the walkthrough reproduced on a local control plane (see src/demo/demo.ts). */
export const demoCommand = command({
  name: "demo",
  summary:
    "Replay the namespace-isolation walkthrough on a local control plane: apply the sample profiles one after another,\n" +
    "  show `kubectl get isop` and the `netfence matrix` grid for each state, and check them against the walkthrough;\n" +
    "  where the machine allows it (root with CAP_NET_ADMIN, felix built), measure each grid with real packets beside it.\n" +
    "  Builds the control plane on first use (needs Go); Ctrl-C cleans up.",
  options: {
    "keep-dir": { type: "boolean", description: "keep the control plane's data directory (logs, kubeconfig) afterwards" },
    "predicted-only": { type: "boolean", description: "do not measure with real packets even where the machine allows it (root, felix built)" },
  },
  async run(values) {
    const aborter = new AbortController();
    const interrupt = () => {
      console.error("\ninterrupted; cleaning up…");
      aborter.abort(new Error("interrupted"));
    };
    process.once("SIGINT", interrupt);
    process.once("SIGTERM", interrupt);
    try {
      const result = await runDemo({
        root: packageRoot,
        print: (text) => console.log(text),
        progress: (text) => console.error(text),
        signal: aborter.signal,
        keepDir: values["keep-dir"] === true,
        packets: values["predicted-only"] !== true,
      });
      const packetsOk = result.packetStatesMatched === undefined || result.packetStatesMatched === result.states;
      return result.statesMatched === result.states && packetsOk ? 0 : 1;
    } catch (err) {
      if (aborter.signal.aborted) return 130;
      throw err;
    } finally {
      process.off("SIGINT", interrupt);
      process.off("SIGTERM", interrupt);
    }
  },
});
