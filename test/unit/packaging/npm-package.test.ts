/**
 * The npm package, unlike the image, keeps the development harness: the
 * commands and their modules, the build scripts of the local control plane and
 * the data plane, and what the demo reads from the package root. `npm pack
 * --dry-run` lists what would be published.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
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

  it("puts netfence and the kubectl plugin kubectl-netfence on the PATH: executables that run the same main", () => {
    const bin = (JSON.parse(readFileSync(`${ROOT}package.json`, "utf8")) as { bin: Record<string, string> }).bin;
    expect(bin).toEqual({ netfence: "bin/netfence.js", "kubectl-netfence": "bin/kubectl-netfence.js" });
    expect(Object.values(bin).filter((f) => !packed.includes(f))).toEqual([]);
    for (const file of Object.values(bin)) {
      const text = readFileSync(`${ROOT}${file}`, "utf8");
      expect({ file, shebang: text.split("\n")[0], main: text.includes('import { main } from "../dist/cli/index.js";'), executable: (statSync(`${ROOT}${file}`).mode & 0o111) !== 0 }).toEqual({
        file,
        shebang: "#!/usr/bin/env node",
        main: true,
        executable: true,
      });
    }
  });
});
