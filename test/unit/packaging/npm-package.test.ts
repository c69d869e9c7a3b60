/**
 * The npm package, unlike the image, keeps the development harness: the
 * commands and their modules, the build scripts of the local control plane and
 * the data plane, and what the demo reads from the package root. `npm pack
 * --dry-run` lists what would be published.
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "@jest/globals";
import { FIXTURES_DIR, STATES } from "../../../src/demo/walkthrough.js";
import { ROOT } from "./helm.js";
import { IMAGE_OMITS, omittedBy } from "./image.js";

const packed = (JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })) as { files: { path: string }[] }[])
  .flatMap((p) => p.files.map((f) => f.path));

describe("the npm package", () => {
  it("holds what the image leaves out: the development commands and the harness they load", () => {
    const held = new Set(packed.map(omittedBy));
    expect(IMAGE_OMITS.filter((omit) => !held.has(omit))).toEqual([]);
  });

  it("holds the build scripts of the local control plane and the data plane", () => {
    expect(packed).toEqual(expect.arrayContaining(["tools/controlplane/build.sh", "tools/controlplane/kube/go.mod", "tools/controlplane/etcd/go.mod", "tools/dataplane/build.sh"]));
  });

  it("holds every file the demo reads from the package root", () => {
    const read = [
      "bin/netfence.js",
      "crds/isolationprofiles.netfence.io.yaml",
      `${FIXTURES_DIR}/cluster.yaml`,
      ...STATES.flatMap((s) => [...(s.sample ? [s.sample] : []), ...s.steps.map((step) => `${FIXTURES_DIR}/${step.expect}/expect.json`)]),
    ];
    expect(read.filter((f) => !packed.includes(f))).toEqual([]);
  });
});
