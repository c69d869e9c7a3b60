import { describe, expect, it } from "@jest/globals";
import type { NamespaceSelection } from "../../../src/api/types.js";
import type { Namespace } from "../../../src/k8s/objects.js";
import { isNamespaceSelected, matchesGlob, selectNamespaces } from "../../../src/policy/namespaces.js";

const ns = (name: string, labels: Record<string, string> = {}, extra: Partial<Namespace["metadata"]> = {}): Namespace => ({
  metadata: { name, labels: { "kubernetes.io/metadata.name": name, ...labels }, ...extra },
});

const cluster: Namespace[] = [
  ns("team-b", { team: "b" }),
  ns("dev", { env: "dev" }),
  ns("team-a", { team: "a", env: "dev" }),
  ns("dev-sandbox", { env: "dev" }),
  ns("kube-system"),
  ns("kube-public"),
  ns("kube-node-lease"),
  ns("netfence-system"),
  ns("default"),
  ns("leaving", {}, { deletionTimestamp: "2025-01-01T00:00:00Z" }),
];

const names = (selection: NamespaceSelection): string[] =>
  selectNamespaces({ namespaces: selection }, cluster, { operatorNamespace: "netfence-system" }).map((n) => n.metadata.name);

describe("selectNamespaces", () => {
  it.each<[string, NamespaceSelection, string[]]>([
    ["an exact name selects that namespace", { names: ["dev"] }, ["dev"]],
    ["a name that does not exist selects nothing", { names: ["prod"] }, []],
    ["a glob selects every match, sorted by name", { names: ["team-*"] }, ["team-a", "team-b"]],
    ["? matches exactly one character", { names: ["team-?"] }, ["team-a", "team-b"]],
    ["a glob is anchored at both ends", { names: ["dev*"] }, ["dev", "dev-sandbox"]],
    ["a selector selects by namespace labels", { selector: { matchLabels: { env: "dev" } } }, ["dev", "dev-sandbox", "team-a"]],
    ["names and selector are a union", { names: ["team-b"], selector: { matchLabels: { env: "dev" } } }, ["dev", "dev-sandbox", "team-a", "team-b"]],
    ["exclude removes from the union", { names: ["team-b"], selector: { matchLabels: { env: "dev" } }, exclude: ["dev-sandbox"] }, ["dev", "team-a", "team-b"]],
    ["exclude takes globs", { selector: { matchLabels: { env: "dev" } }, exclude: ["*-sandbox"] }, ["dev", "team-a"]],
    ["an empty selector selects every non-system namespace", { selector: {} }, ["default", "dev", "dev-sandbox", "leaving", "team-a", "team-b"]],
    ["system namespaces are skipped even by name", { names: ["kube-system", "dev"] }, ["dev"]],
    ["netfence's own namespace is skipped like a system one", { names: ["netfence-system"] }, []],
    [
      "includeSystem lets system namespaces in",
      { names: ["kube-*", "netfence-system"], includeSystem: true },
      ["kube-node-lease", "kube-public", "kube-system", "netfence-system"],
    ],
    ["a namespace being deleted is still returned (the controller decides)", { names: ["leaving"] }, ["leaving"]],
    ["a selector by metadata.name label works like a name", { selector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: ["dev", "team-b"] }] } }, ["dev", "team-b"]],
  ])("%s", (_name, selection, expected) => {
    expect(names(selection)).toEqual(expected);
  });
});

describe("isNamespaceSelected", () => {
  it.each<[string, NamespaceSelection, Namespace, string | undefined, boolean]>([
    ["a named namespace", { names: ["dev"] }, ns("dev"), undefined, true],
    ["a namespace whose labels now match the selector", { selector: { matchLabels: { team: "a" } } }, ns("x", { team: "a" }), undefined, true],
    ["a namespace whose labels no longer match", { selector: { matchLabels: { team: "a" } } }, ns("x", { team: "b" }), undefined, false],
    ["the operator namespace, when given", { selector: {} }, ns("ops"), "ops", false],
    ["the same namespace when netfence runs elsewhere", { selector: {} }, ns("ops"), "netfence-system", true],
    ["an excluded namespace even if named", { names: ["dev"], exclude: ["dev"] }, ns("dev"), undefined, false],
  ])("%s", (_name, selection, namespace, operatorNamespace, expected) => {
    const opts = operatorNamespace === undefined ? {} : { operatorNamespace };
    expect(isNamespaceSelected({ namespaces: selection }, namespace, opts)).toBe(expected);
  });
});

describe("matchesGlob", () => {
  it.each<[string, string, string, boolean]>([
    ["a literal matches itself only", "dev", "dev", true],
    ["a literal is not a prefix match", "dev", "dev2", false],
    ["* matches the empty run", "team-*", "team-", true],
    ["dots in names are literal", "a.b", "axb", false],
    ["several stars", "*-a-*", "x-a-y", true],
  ])("%s", (_name, pattern, name, expected) => {
    expect(matchesGlob(pattern, name)).toBe(expected);
  });
});
