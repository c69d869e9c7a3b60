import { stringify } from "yaml";
import { DEFAULT_OPERATOR_NAMESPACE, KIND } from "../api/constants.js";
import { withoutSource, type ManifestObject } from "../io/manifests.js";
import { ADMIN_KINDS, type AdminKind } from "../policy/admin-render.js";
import { readNamespace } from "../policy/reach-input.js";
import { renderEnforced, type EnforcementChoice } from "./render-manifests.js";
import { command, UsageError } from "./command.js";
import { readManifestsOrFail } from "./inputs.js";

export interface RenderOutput {
  stdout: string;
  /** Validation errors and notes, one per line. */
  stderr: string[];
  code: number;
}

/** Multi-document YAML, or a JSON `List`: the same bytes for the same inputs, every time. */
export function formatPolicies(policies: readonly object[], format: "yaml" | "json"): string {
  if (format === "json") return `${JSON.stringify({ apiVersion: "v1", kind: "List", items: policies }, null, 2)}\n`;
  return policies.map((p) => stringify(p, { lineWidth: 0 })).join("---\n");
}

function isNamespace(obj: ManifestObject): boolean {
  return obj.kind === "Namespace" && (obj.apiVersion === undefined || obj.apiVersion === "v1");
}

/** What `netfence render` prints, computed without printing (the tests call this). */
export async function renderFromManifests(
  paths: readonly string[],
  format: "yaml" | "json",
  operatorNamespace: string,
  choice: EnforcementChoice = { adminKind: "ClusterNetworkPolicy/v1beta1" },
): Promise<RenderOutput> {
  const objects = await readManifestsOrFail(paths);
  const profiles = objects.filter((o) => o.kind === KIND).map(withoutSource);
  const invalid: string[] = [];
  const namespaces = objects.filter(isNamespace).flatMap((o) => readNamespace(o, invalid) ?? []);
  if (invalid.length > 0) throw new UsageError(`invalid input:\n  ${invalid.join("\n  ")}`);
  if (profiles.length === 0) throw new UsageError(`no ${KIND} found in ${paths.join(", ")}`);

  const { adminObjects, policies, errors, notes: adminNotes } = renderEnforced(profiles, namespaces, { operatorNamespace }, choice);
  const notes = adminNotes.map((n) => `note: ${n}`);
  if (namespaces.length === 0) notes.push("note: no Namespace objects were given, so no namespace is selected (add the cluster's namespaces with -f)");
  return { stdout: formatPolicies([...adminObjects, ...policies], format), stderr: [...errors, ...notes], code: errors.length > 0 ? 1 : 0 };
}

const ENFORCEMENT_FLAG = ["AdminTier", "NetworkPolicy"] as const;

function enforcementChoice(enforcement: string | undefined, adminKind: string): EnforcementChoice {
  if (enforcement !== undefined && !(ENFORCEMENT_FLAG as readonly string[]).includes(enforcement)) {
    throw new UsageError(`--enforcement must be ${ENFORCEMENT_FLAG.join(" or ")}, got '${enforcement}'`);
  }
  if (!(ADMIN_KINDS as readonly string[]).includes(adminKind)) throw new UsageError(`--admin-kind must be one of ${ADMIN_KINDS.join(", ")}, got '${adminKind}'`);
  return { ...(enforcement === undefined ? {} : { enforcement: enforcement as EnforcementChoice["enforcement"] }), adminKind: adminKind as AdminKind };
}

/** `netfence render -f <files or dirs>… [-o yaml|json]`: the NetworkPolicies netfence would create, offline. */
export const renderCommand = command({
  name: "render",
  summary:
    "Print the objects netfence would write (Admin-tier objects first, then NetworkPolicies) for the IsolationProfiles and Namespaces in the given manifests (offline).\n" +
    "  Invalid profiles print their validation messages (profile: field: message) and exit 1.",
  options: {
    filename: { type: "string", short: "f", multiple: true, valueName: "file|dir", description: "manifests with IsolationProfiles and Namespaces; repeatable, directories are read recursively" },
    output: { type: "string", short: "o", valueName: "yaml|json", description: "output format", default: "yaml" },
    "operator-namespace": { type: "string", valueName: "name", description: "netfence's own namespace, never selected unless includeSystem", default: DEFAULT_OPERATOR_NAMESPACE },
    enforcement: {
      type: "string",
      valueName: "AdminTier|NetworkPolicy",
      description: "render every profile this way (default: each profile's spec.enforcement; Auto, which needs a cluster to discover, renders NetworkPolicies)",
    },
    "admin-kind": { type: "string", valueName: ADMIN_KINDS.join("|"), description: "the kind the Admin tier is written as", default: "ClusterNetworkPolicy/v1beta1" },
  },
  async run(values, positionals) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0] ?? ""}' (give files with -f)`);
    const paths = values.filename ?? [];
    if (paths.length === 0) throw new UsageError("give at least one file or directory with -f");
    const format = values.output ?? "yaml";
    if (format !== "yaml" && format !== "json") throw new UsageError(`-o must be yaml or json, got '${format}'`);
    const choice = enforcementChoice(values.enforcement, values["admin-kind"] ?? "ClusterNetworkPolicy/v1beta1");
    const out = await renderFromManifests(paths, format, values["operator-namespace"] ?? DEFAULT_OPERATOR_NAMESPACE, choice);
    process.stdout.write(out.stdout);
    for (const line of out.stderr) console.error(line);
    return out.code;
  },
});
