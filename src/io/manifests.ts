import { readdir, readFile, stat } from "node:fs/promises";
import { extname, join } from "node:path";
import { parseAllDocuments } from "yaml";

/** One Kubernetes object read from a manifest, with where it came from. */
export interface ManifestObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
  /** Not part of the object: "file.yaml#2" (document index, 1-based). */
  readonly __source?: string;
}

/** A manifest that cannot be read or parsed; the message names the file. */
export class ManifestError extends Error {
  override name = "ManifestError";
}

const MANIFEST_EXTENSIONS = new Set([".yaml", ".yml", ".json"]);

async function listFiles(path: string): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new ManifestError(`${path}: no such file or directory`);
  }
  if (!info.isDirectory()) return [path];
  const entries = await readdir(path, { withFileTypes: true });
  const nested = await Promise.all(
    entries
      .sort((a, b) => a.name.localeCompare(b.name))
      .filter((e) => e.isDirectory() || MANIFEST_EXTENSIONS.has(extname(e.name)))
      .map((e) => listFiles(join(path, e.name))),
  );
  return nested.flat();
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Parses one multi-document YAML (or JSON) text; `kind: List` is flattened. */
export function parseManifests(text: string, source: string): ManifestObject[] {
  const out: ManifestObject[] = [];
  parseAllDocuments(text).forEach((doc, i) => {
    const where = `${source}#${String(i + 1)}`;
    const firstError = doc.errors[0];
    if (firstError) throw new ManifestError(`${where}: invalid YAML: ${firstError.message.split("\n")[0] ?? ""}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
    if (!isObject(value)) throw new ManifestError(`${where}: expected a Kubernetes object, got ${Array.isArray(value) ? "a list" : typeof value}`);
    const items = value.kind === "List" || (typeof value.kind === "string" && value.kind.endsWith("List") && Array.isArray(value.items)) ? (value.items as unknown[]) : [value];
    for (const item of items) {
      if (!isObject(item) || typeof item.kind !== "string") throw new ManifestError(`${where}: object without a kind`);
      out.push({ ...item, __source: where });
    }
  });
  return out;
}

/** Reads every manifest in the given files and directories (recursively, sorted by name). */
export async function readManifests(paths: readonly string[]): Promise<ManifestObject[]> {
  const files = (await Promise.all(paths.map(listFiles))).flat();
  const out: ManifestObject[] = [];
  for (const file of files) {
    out.push(...parseManifests(await readFile(file, "utf8"), file));
  }
  return out;
}

/** Drops the loader's bookkeeping field. */
export function withoutSource<T extends ManifestObject>(obj: T): Omit<T, "__source"> {
  const { __source: _ignored, ...rest } = obj;
  return rest;
}
