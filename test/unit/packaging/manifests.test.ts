/**
 * deploy/manifests/ is the chart rendered with default values (plus its
 * Namespace): this fails when someone changes the chart or the CRD and forgets
 * `tools/render-manifests.sh`.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "@jest/globals";
import { helmBinary, parseObjects, ROOT } from "./helm.js";

const MANIFESTS = `${ROOT}deploy/manifests/`;

describe("deploy/manifests", () => {
  let rendered = "";
  beforeAll(() => {
    rendered = execFileSync("bash", [`${ROOT}tools/render-manifests.sh`, "--stdout"], { encoding: "utf8", env: { ...process.env, NETFENCE_HELM: helmBinary() } });
  }, 900_000);

  it("holds exactly one file, netfence.yaml", () => {
    expect(readdirSync(MANIFESTS)).toEqual(["netfence.yaml"]);
  });

  it("is what tools/render-manifests.sh renders from the chart today (run it after changing the chart or the CRD)", () => {
    expect(readFileSync(`${MANIFESTS}netfence.yaml`, "utf8")).toBe(rendered);
  });

  it("starts with the namespace enforcing Pod Security restricted, so one kubectl apply creates everything in order", () => {
    const objects = parseObjects(rendered);
    expect(objects[0]?.kind).toBe("Namespace");
    expect(objects[0]?.metadata.labels?.["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    expect(objects.map((o) => o.kind)).toEqual(expect.arrayContaining(["CustomResourceDefinition", "ClusterRole", "Deployment"]));
    expect(objects.findIndex((o) => o.kind === "CustomResourceDefinition")).toBeLessThan(objects.findIndex((o) => o.kind === "Deployment"));
  });
});
