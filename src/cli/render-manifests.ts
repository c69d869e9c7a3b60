/**
 * Rendering straight from manifests (parse, then render), for the CLI: the
 * pure core renders parsed profiles only.
 */
import { parseProfile } from "../api/parse.js";
import type { Namespace, NetworkPolicy } from "../k8s/objects.js";
import { isRecord } from "../lib/is-record.js";
import { renderProfile, type RenderOptions } from "../policy/render.js";

function nameOf(obj: unknown): string {
  if (!isRecord(obj)) return "(not an object)";
  const metadata = obj.metadata;
  if (!isRecord(metadata)) return "(unnamed)";
  const name = metadata.name;
  return typeof name === "string" && name !== "" ? name : "(unnamed)";
}

function byNamespaceThenName(a: NetworkPolicy, b: NetworkPolicy): number {
  const ka = [a.metadata.namespace ?? "", a.metadata.name] as const;
  const kb = [b.metadata.namespace ?? "", b.metadata.name] as const;
  if (ka[0] !== kb[0]) return ka[0] < kb[0] ? -1 : 1;
  return ka[1] < kb[1] ? -1 : ka[1] > kb[1] ? 1 : 0;
}

/**
 * Parses and renders many profiles: invalid ones become error lines
 * (`<profile>: <path>: <message>`), valid ones policies sorted by namespace, then name.
 */
export function renderProfiles(profiles: readonly unknown[], namespaces: readonly Namespace[], opts: RenderOptions = {}): { policies: NetworkPolicy[]; errors: string[] } {
  const policies: NetworkPolicy[] = [];
  const errors: string[] = [];
  for (const obj of profiles) {
    const parsed = parseProfile(obj);
    if (parsed.ok) policies.push(...renderProfile(parsed.value, namespaces, opts));
    else errors.push(...parsed.issues.map((i) => `${nameOf(obj)}: ${i.path}: ${i.message}`));
  }
  return { policies: policies.sort(byNamespaceThenName), errors };
}
