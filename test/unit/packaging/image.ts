/**
 * The Dockerfile read as data, for the tests that cannot build it (no Docker
 * engine): its instructions by stage, and the files its build stage removes
 * from dist/ (the development harness) — the one list of what the image
 * leaves out, used by the packaging test and the architecture test alike.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export interface Instruction {
  op: string;
  args: string;
}

export function instructions(text: string): Instruction[] {
  return text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const [op = "", ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(" ") };
    });
}

export const DOCKERFILE = instructions(readFileSync(`${ROOT}Dockerfile`, "utf8"));
const lastFrom = DOCKERFILE.map((i) => i.op).lastIndexOf("FROM");
export const BUILD_STAGE = DOCKERFILE.slice(0, lastFrom);
export const RUNTIME_STAGE = DOCKERFILE.slice(lastFrom);

/** The paths the build stage's `RUN rm -r …` removes, relative to the package root; `*` as the shell expands it. */
export const IMAGE_OMITS: readonly string[] = BUILD_STAGE.filter((i) => i.op === "RUN" && i.args.startsWith("rm -r ")).flatMap((i) => i.args.split(/\s+/).slice(2));

const escape = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
const patterns = IMAGE_OMITS.map((omit) => ({ omit, re: new RegExp(`^${omit.split("*").map(escape).join("[^/]*")}(/|$)`) }));

/** The entry of IMAGE_OMITS that removes `path` (relative to the package root, e.g. `dist/cli/probe.js`), itself or a folder above it. */
export function omittedBy(path: string): string | undefined {
  return patterns.find((p) => p.re.test(path))?.omit;
}

export function omittedFromImage(path: string): boolean {
  return omittedBy(path) !== undefined;
}
