/**
 * What every operator scenario runs inside: an independent watch that
 * timestamps NetworkPolicy events, a watch on profile status, and the operator
 * as its own process. The body may replace `rig.operator` (a restart); whatever
 * operator is current at the end is stopped, and its log tail printed if the
 * body failed.
 */
import type { NetworkPolicy } from "../../src/k8s/objects.js";
import { OPERATOR_NAMESPACE, type BenchEnv } from "./env.js";
import type { Limits } from "./kube.js";
import { startOperator, type OperatorProcess } from "./operator.js";
import { ProfileWatch } from "./profile.js";
import { TimedWatch } from "./watch.js";

export interface Rig {
  policies: TimedWatch<NetworkPolicy>;
  profiles: ProfileWatch;
  operator: OperatorProcess;
}

/** `operatorArgs`: more `netfence run` flags (e.g. the data plane it is told enforces the Admin tier). */
export async function withRig<T>(env: BenchEnv, limits: Limits, body: (rig: Rig) => Promise<T>, operatorArgs: string[] = []): Promise<T> {
  const rig: Rig = {
    policies: await new TimedWatch<NetworkPolicy>(env.kc, "/apis/networking.k8s.io/v1/networkpolicies").start(),
    profiles: await new ProfileWatch(env.kc).start(),
    operator: await startOperator(env.kubeconfigPath, OPERATOR_NAMESPACE, limits, operatorArgs),
  };
  try {
    return await body(rig);
  } catch (err) {
    console.error(`operator log tail:\n${rig.operator.logs(40)}`);
    throw err;
  } finally {
    await rig.operator.stop();
    rig.policies.stop();
    rig.profiles.stop();
  }
}
