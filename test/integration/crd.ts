import { readFileSync } from "node:fs";
import * as k8s from "@kubernetes/client-node";
import { CRD_NAME } from "../../src/api/constants.js";
import { eventually, statusCode } from "./helpers.js";

const CRD_FILE = new URL("../../crds/isolationprofiles.netfence.io.yaml", import.meta.url);

/** The CRD as client-node's typed model (its serializer drops plain `enum`, `default`, `x-kubernetes-*` keys). */
export function crdManifest(): k8s.V1CustomResourceDefinition {
  return k8s.loadYaml<k8s.V1CustomResourceDefinition>(readFileSync(CRD_FILE, "utf8"));
}

function isEstablished(crd: k8s.V1CustomResourceDefinition): boolean {
  return (crd.status?.conditions ?? []).some((c) => c.type === "Established" && c.status === "True");
}

/**
 * Installs crds/isolationprofiles.netfence.io.yaml, idempotently: several test
 * files call this against the same control plane, possibly at once. Creates,
 * or on 409 replaces (retrying on write conflicts); then waits for Established.
 */
export async function installCrd(kc: k8s.KubeConfig): Promise<void> {
  const api = kc.makeApiClient(k8s.ApiextensionsV1Api);
  const wanted = crdManifest();
  for (let attempt = 1; ; attempt++) {
    try {
      await createOrReplace(api, wanted);
      break;
    } catch (err) {
      // Another test file wrote the CRD between our read and our write: read again.
      if (statusCode(err) !== 409 || attempt >= 10) throw err;
    }
  }
  await eventually(async () => (isEstablished(await api.readCustomResourceDefinition({ name: CRD_NAME })) ? true : undefined), `CRD ${CRD_NAME} to be Established`);
}

async function createOrReplace(api: k8s.ApiextensionsV1Api, wanted: k8s.V1CustomResourceDefinition): Promise<void> {
  try {
    await api.createCustomResourceDefinition({ body: wanted });
    return;
  } catch (err) {
    if (statusCode(err) !== 409) throw err;
  }
  const current = await api.readCustomResourceDefinition({ name: CRD_NAME });
  if (JSON.stringify(current.spec.versions) === JSON.stringify(wanted.spec.versions)) return;
  const body = crdManifest();
  body.metadata!.resourceVersion = current.metadata?.resourceVersion;
  await api.replaceCustomResourceDefinition({ name: CRD_NAME, body });
}
