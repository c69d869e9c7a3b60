/**
 * What every controller test file starts with: its own suite name and
 * profile label (so files running in parallel keep apart), its own operator
 * namespace, `netfence run` started before the tests and stopped (exit 0)
 * after them, and every namespace the file creates deleted at the end.
 */
import { afterAll, beforeAll, expect } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import { installCrd } from "./crd.js";
import { kubeConfig, uniqueName } from "./helpers.js";
import { Operator } from "./operator.js";
import { Profiles } from "./profiles.js";
import { deleteNamespaces } from "./walkthrough.js";

export interface OperatorSuite {
  kc: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  net: k8s.NetworkingV1Api;
  /** `<prefix>-<hex>`: prefix of every profile name of the file. */
  suite: string;
  /** The profile label the file's operator selects (`netfence.io/test=<suite>`). */
  label: string;
  profiles: Profiles;
  operatorNs: string;
  /** Namespaces deleted after the file (push any the file creates itself). */
  namespaces: string[];
  /** The running operator (replaced by `restart`). */
  operator: () => Operator;
  /** Stops the operator (expects exit 0), runs `between`, starts it again. */
  restart: (between?: () => Promise<void>) => Promise<Operator>;
  /** A new namespace with `labels`, deleted after the file. */
  namespace: (prefix: string, labels?: Record<string, string>) => Promise<string>;
}

/** `extraArgs`: more flags of `netfence run` (e.g. the declared data plane). */
export function operatorSuite(prefix: string, extraArgs: string[] = []): OperatorSuite {
  const kc = kubeConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const suite = uniqueName(prefix);
  const label = `netfence.io/test=${suite}`;
  const operatorNs = uniqueName("netfence-system");
  const namespaces: string[] = [operatorNs];
  let operator: Operator | undefined;
  const start = async () => (operator = await (await Operator.start({ namespace: operatorNs, profileSelector: label, extraArgs })).ready());

  beforeAll(async () => {
    await installCrd(kc);
    await core.createNamespace({ body: { metadata: { name: operatorNs } } });
    await start();
  });

  afterAll(async () => {
    expect(await operator?.stop()).toBe(0);
    await deleteNamespaces(kc, namespaces);
  });

  return {
    kc,
    core,
    net: kc.makeApiClient(k8s.NetworkingV1Api),
    suite,
    label,
    profiles: new Profiles(kc, label),
    operatorNs,
    namespaces,
    operator: () => {
      if (!operator) throw new Error("the operator starts in beforeAll");
      return operator;
    },
    async restart(between) {
      expect(await operator?.stop()).toBe(0);
      await between?.();
      return start();
    },
    async namespace(p, labels = {}) {
      const name = uniqueName(p);
      await core.createNamespace({ body: { metadata: { name, labels } } });
      namespaces.push(name);
      return name;
    },
  };
}
