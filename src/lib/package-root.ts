import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The repository (or installed package) root: the nearest package.json named
 * netfence above this file, the same from src/, dist/ and dist-bench/. It holds
 * bin/netfence.js and the build scripts under tools/.
 */
export const packageRoot = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "netfence") return dir;
    if (dirname(dir) === dir) return resolve(start, "..", "..");
  }
}
