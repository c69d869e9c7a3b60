/**
 * Which namespaces a profile isolates: the names and globs it lists, together
 * with those its selector matches, minus exclude; system namespaces (and
 * netfence's own) only when includeSystem is true.
 */
import { SYSTEM_NAMESPACES } from "../api/constants.js";
import type { NamespaceSelection } from "../api/types.js";
import type { Namespace } from "../k8s/objects.js";
import { matchesSelector } from "./selectors.js";

export interface SelectOptions {
  /** netfence's own namespace, treated like a system namespace. */
  operatorNamespace?: string;
}

/** Anything with a namespace selection: a ParsedSpec or a raw IsolationProfileSpec. */
export interface HasNamespaces {
  namespaces: NamespaceSelection;
}

const globs = new Map<string, RegExp>();

/** `*` is any run of characters, `?` exactly one; everything else is literal. */
export function matchesGlob(pattern: string, name: string): boolean {
  if (!pattern.includes("*") && !pattern.includes("?")) return pattern === name;
  let re = globs.get(pattern);
  if (!re) {
    const body = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
    re = new RegExp(`^${body}$`);
    globs.set(pattern, re);
  }
  return re.test(name);
}

export function isSystemNamespace(name: string, opts: SelectOptions = {}): boolean {
  return SYSTEM_NAMESPACES.includes(name) || name === opts.operatorNamespace;
}

const NONE: readonly string[] = [];

/** Whether the profile selects this namespace (used to map a namespace event to the profiles it concerns). */
export function isNamespaceSelected(spec: HasNamespaces, ns: Namespace, opts: SelectOptions = {}): boolean {
  const { names = NONE, selector, exclude = NONE, includeSystem = false } = spec.namespaces;
  const name = ns.metadata.name;
  if (!includeSystem && isSystemNamespace(name, opts)) return false;
  if (matchesAnyGlob(exclude, name)) return false;
  return matchesAnyGlob(names, name) || matchesSelector(selector, ns.metadata.labels);
}

/** A loop, not `some` with a closure: it runs for every namespace of every pass. */
function matchesAnyGlob(patterns: readonly string[], name: string): boolean {
  for (const pattern of patterns) if (matchesGlob(pattern, name)) return true;
  return false;
}

/**
 * The selected namespaces, sorted by name. Namespaces being deleted are still
 * returned: whether to write into them is the controller's decision.
 */
export function selectNamespaces(spec: HasNamespaces, namespaces: readonly Namespace[], opts: SelectOptions = {}): Namespace[] {
  return namespaces
    .filter((ns) => isNamespaceSelected(spec, ns, opts))
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
}
