/**
 * The Debian-packages step of tools/bootstrap.mjs run for real, on a PATH of stub
 * tools: one tool missing, and a stub apt-get that records its calls and "installs"
 * the tool. Nothing on the machine changes. As root on Linux the step installs the
 * package with apt-get; otherwise it says in one line why it cannot.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { TOOL_PACKAGES } from "../../../tools/bootstrap.mjs";

const BOOTSTRAP = fileURLToPath(new URL("../../../tools/bootstrap.mjs", import.meta.url));
let bin: string;

function stub(name: string, body = "exit 0"): void {
  writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(bin, name), 0o755);
}

beforeAll(() => {
  bin = mkdtempSync(join(tmpdir(), "netfence-bootstrap-bin-"));
  for (const [tool] of TOOL_PACKAGES) if (tool !== "conntrack") stub(tool);
  // apt-get: record each call; `install` puts the missing tool on the PATH (shell builtins only: the PATH is this directory).
  stub("apt-get", `echo "$*" >> "${bin}/apt-get.calls"\ncase "$1" in install) echo "exit 0" > "${bin}/conntrack";; esac`);
});

afterAll(() => {
  rmSync(bin, { recursive: true, force: true });
});

describe("the bootstrap's Debian packages on a machine missing conntrack", () => {
  it(process.getuid?.() === 0 && process.platform === "linux" ? "installs it with apt-get, as root, and says so in one line" : "says in one line why it cannot install it", () => {
    const r = spawnSync(process.execPath, [BOOTSTRAP, "test", "--only=packages"], { encoding: "utf8", env: { PATH: bin } });
    const setup = r.stderr.split("\n").filter((l) => l.startsWith("[setup] "));
    expect(r.status).toBe(0);
    if (process.getuid?.() === 0 && process.platform === "linux") {
      expect(setup).toEqual(["[setup] Debian packages: installing conntrack with apt-get (missing: conntrack)"]);
      expect(readFileSync(join(bin, "apt-get.calls"), "utf8").trim().split("\n")).toEqual(["update -qq", "install -y -qq conntrack"]);
      expect(existsSync(join(bin, "conntrack"))).toBe(true);
    } else {
      expect(setup).toEqual([expect.stringMatching(/^\[setup\] Debian packages: cannot install conntrack: /)]);
      expect(existsSync(join(bin, "apt-get.calls"))).toBe(false);
    }
  });
});
