// One real control plane per test run (etcd, kube-apiserver, kube-controller-manager),
// started from the compiled module: jest loads global setup natively, outside
// its TypeScript transform, so `npm test` builds first (pretest).
// Its kubeconfig path reaches the test workers through the environment; every
// test uses its own namespaces and names.
import { ControlPlane } from "../../dist/controlplane/controlplane.js";

export default async function globalSetup() {
  const started = Date.now();
  const plane = await ControlPlane.start({ progress: (line) => process.stderr.write(`[controlplane] ${line}\n`) });
  globalThis.netfenceControlPlane = plane;
  process.env.NETFENCE_TEST_KUBECONFIG = plane.kubeconfigPath;
  process.env.NETFENCE_TEST_KUBECTL = plane.binaries.kubectl;
  process.env.NETFENCE_TEST_CONTROLPLANE_DIR = plane.dir;
  process.env.NETFENCE_TEST_AUDIT_LOG = plane.auditLogPath;
  process.stderr.write(`[controlplane] up in ${((Date.now() - started) / 1000).toFixed(1)}s at ${plane.server}\n`);
}
