import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "@jest/globals";
import { parseAllDocuments } from "yaml";
import { UsageError } from "../../../src/cli/command.js";
import { renderCommand, renderFromManifests } from "../../../src/cli/render.js";

const WALKTHROUGH = ["deploy/samples/walkthrough", "test/fixtures/walkthrough/cluster.yaml"];

function tempManifest(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "netfence-render-"));
  const file = join(dir, "objects.yaml");
  writeFileSync(file, text);
  return file;
}

const NAMESPACES = "apiVersion: v1\nkind: Namespace\nmetadata: {name: dev}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: kube-system}\n";

describe("netfence render", () => {
  it("prints the walkthrough's four policies for dev as YAML, sorted by namespace then name", async () => {
    const out = await renderFromManifests(WALKTHROUGH, "yaml", "netfence-system");
    const docs = parseAllDocuments(out.stdout).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace: string } });
    expect(out.code).toBe(0);
    expect(out.stderr).toEqual([]);
    expect(docs.map((d) => `${d.kind} ${d.metadata.namespace}/${d.metadata.name}`)).toEqual([
      "NetworkPolicy dev/netfence-walkthrough-s2-deny-ingress",
      "NetworkPolicy dev/netfence-walkthrough-s3-deny-all",
      "NetworkPolicy dev/netfence-walkthrough-s4-ipblock-except",
      "NetworkPolicy dev/netfence-walkthrough-s5-same-namespace-label",
    ]);
  });

  it("prints the same bytes whatever the order of the inputs", async () => {
    const a = await renderFromManifests(WALKTHROUGH, "yaml", "netfence-system");
    const b = await renderFromManifests([...WALKTHROUGH].reverse(), "yaml", "netfence-system");
    expect(b.stdout).toBe(a.stdout);
  });

  it("prints a JSON List with -o json", async () => {
    const out = await renderFromManifests(WALKTHROUGH, "json", "netfence-system");
    const list = JSON.parse(out.stdout) as { kind: string; items: unknown[] };
    expect(list.kind).toBe("List");
    expect(list.items).toHaveLength(4);
  });

  it.each<[string, string, number, string[]]>([
    [
      "an invalid profile prints profile: field: message and exits 1, still printing the valid ones",
      `${NAMESPACES}---\napiVersion: netfence.io/v1alpha1\nkind: IsolationProfile\nmetadata: {name: bad}\nspec:\n  preset: allow-by-label\n  namespaces: {names: [dev]}\n  allowedPeers: [{ipBlock: {cidr: 10.3.0.0/16, except: [10.9.0.0/24]}}]\n---\napiVersion: netfence.io/v1alpha1\nkind: IsolationProfile\nmetadata: {name: good}\nspec: {preset: deny-ingress, namespaces: {names: [dev]}}\n`,
      1,
      ["bad: spec.allowedPeers[0].ipBlock.except[0]: 10.9.0.0/24 is not inside 10.3.0.0/16"],
    ],
    [
      "profiles without Namespaces print a note and nothing else",
      "apiVersion: netfence.io/v1alpha1\nkind: IsolationProfile\nmetadata: {name: good}\nspec: {preset: deny-ingress, namespaces: {names: [dev]}}\n",
      0,
      ["note: no Namespace objects were given, so no namespace is selected (add the cluster's namespaces with -f)"],
    ],
  ])("%s", async (_name, text, code, stderr) => {
    const out = await renderFromManifests([tempManifest(text)], "yaml", "netfence-system");
    expect(out.code).toBe(code);
    expect(out.stderr).toEqual(stderr);
    if (text.includes("name: good") && text.includes("kind: Namespace")) expect(out.stdout).toContain("name: netfence-good");
  });

  it("skips system namespaces even for an empty selector", async () => {
    const text = `${NAMESPACES}---\napiVersion: netfence.io/v1alpha1\nkind: IsolationProfile\nmetadata: {name: good}\nspec: {preset: deny-ingress, namespaces: {selector: {}}}\n`;
    const out = await renderFromManifests([tempManifest(text)], "yaml", "netfence-system");
    expect(out.stdout).toContain("name: netfence-good");
    expect(out.stdout).not.toContain("namespace: kube-system");
  });

  it("names the file and field of a malformed Namespace", async () => {
    const file = tempManifest("apiVersion: v1\nkind: Namespace\nmetadata: {name: dev, labels: {team: 1}}\n");
    await expect(renderFromManifests([file], "yaml", "netfence-system")).rejects.toEqual(
      new UsageError(`invalid input:\n  ${file}#1: Namespace dev: metadata.labels.team: Invalid input: expected string, received number`),
    );
  });

  it.each<[string, "ClusterNetworkPolicy/v1beta1" | "ClusterNetworkPolicy/v1alpha2" | "AdminNetworkPolicy/v1alpha1", string]>([
    ["a ClusterNetworkPolicy v1beta1", "ClusterNetworkPolicy/v1beta1", "ClusterNetworkPolicy policy.networking.k8s.io/v1beta1 netfence-walkthrough-s3-deny-all"],
    ["a ClusterNetworkPolicy v1alpha2", "ClusterNetworkPolicy/v1alpha2", "ClusterNetworkPolicy policy.networking.k8s.io/v1alpha2 netfence-walkthrough-s3-deny-all"],
    ["an AdminNetworkPolicy v1alpha1", "AdminNetworkPolicy/v1alpha1", "AdminNetworkPolicy policy.networking.k8s.io/v1alpha1 netfence-walkthrough-s3-deny-all"],
  ])("--enforcement AdminTier prints %s per profile first, then the residual NetworkPolicies", async (_name, adminKind, first) => {
    const out = await renderFromManifests(WALKTHROUGH, "yaml", "netfence-system", { enforcement: "AdminTier", adminKind });
    const docs = parseAllDocuments(out.stdout).map((d) => d.toJS() as { kind: string; apiVersion: string; metadata: { name: string; namespace?: string } });
    expect({ code: out.code, anchors: /[&*]a\d/.test(out.stdout) }).toEqual({ code: 0, anchors: false });
    expect(docs.map((d) => (d.metadata.namespace === undefined ? `${d.kind} ${d.apiVersion} ${d.metadata.name}` : `${d.kind} ${d.metadata.namespace}/${d.metadata.name}`))).toEqual([
      first.replace("s3-deny-all", "s2-deny-ingress"),
      first,
      first.replace("s3-deny-all", "s4-ipblock-except"),
      first.replace("s3-deny-all", "s5-same-namespace-label"),
      "NetworkPolicy dev/netfence-walkthrough-s2-deny-ingress",
      "NetworkPolicy dev/netfence-walkthrough-s3-deny-all",
      "NetworkPolicy dev/netfence-walkthrough-s4-ipblock-except",
      "NetworkPolicy dev/netfence-walkthrough-s5-same-namespace-label",
    ]);
    expect(out.stderr).toContain(
      "note: walkthrough-s4-ipblock-except: ingress from {\"ipBlock\":{\"cidr\":\"10.3.0.0/16\",\"except\":[\"10.3.166.139/32\"]}}: the Admin tier's ingress cannot name addresses, so in-cluster ingress on the allowed ports is passed from every pod and only the NetworkPolicy narrows it (not tenant-proof); ingress from outside the cluster is the NetworkPolicy's alone",
    );
  });

  it("renders a profile whose spec.enforcement is AdminTier in the Admin tier without the flag", async () => {
    const text = `${NAMESPACES}---\napiVersion: netfence.io/v1alpha1\nkind: IsolationProfile\nmetadata: {name: good}\nspec: {preset: deny-ingress, enforcement: AdminTier, priority: 7, namespaces: {names: [dev]}}\n`;
    const out = await renderFromManifests([tempManifest(text)], "json", "netfence-system");
    const list = JSON.parse(out.stdout) as { items: { kind: string; spec: { priority?: number } }[] };
    expect(list.items.map((i) => `${i.kind} ${String(i.spec.priority)}`)).toEqual(["ClusterNetworkPolicy 7", "NetworkPolicy undefined"]);
  });

  it("refuses a profile that does not fit the Admin tier whole, naming the field, and exits 1", async () => {
    const to = (rule: number) => Array.from({ length: 32 }, (_, i) => `{namespaceSelector: {matchLabels: {n: r${String(rule)}-${String(i)}}}}`).join(", ");
    const egress = Array.from({ length: 16 }, (_, i) => `{to: [${to(i)}]}`).join(", ");
    const text = `${NAMESPACES}---\napiVersion: netfence.io/v1alpha1\nkind: IsolationProfile\nmetadata: {name: big}\nspec: {preset: deny-egress, namespaces: {names: [dev]}, egress: [${egress}]}\n`;
    const out = await renderFromManifests([tempManifest(text)], "yaml", "netfence-system", { enforcement: "AdminTier", adminKind: "ClusterNetworkPolicy/v1beta1" });
    expect({ code: out.code, stdout: out.stdout, stderr: out.stderr }).toEqual({
      code: 1,
      stdout: "",
      stderr: ["big: spec.egress: renders 34 Admin-tier egress rules; the Admin tier allows at most 25 (ClusterNetworkPolicy/v1beta1)"],
    });
  });

  it.each<[string, string[], Record<string, unknown>, RegExp]>([
    ["an unknown enforcement is a usage error", [], { filename: WALKTHROUGH, enforcement: "Auto" }, /--enforcement must be AdminTier or NetworkPolicy, got 'Auto'/],
    ["an unknown admin kind is a usage error", [], { filename: WALKTHROUGH, enforcement: "AdminTier", "admin-kind": "ClusterNetworkPolicy" }, /--admin-kind must be one of ClusterNetworkPolicy\/v1beta1/],
    ["no -f is a usage error", [], {}, /at least one file/],
    ["an unknown output format is a usage error", [], { filename: WALKTHROUGH, output: "table" }, /-o must be yaml or json/],
    ["a missing file is a usage error", [], { filename: ["does/not/exist.yaml"] }, /no such file/],
    ["files without profiles are a usage error", [], { filename: ["test/fixtures/walkthrough/cluster.yaml"] }, /no IsolationProfile found/],
    ["a positional argument is a usage error", ["file.yaml"], { filename: WALKTHROUGH }, /unexpected argument/],
  ])("%s", async (_name, positionals, values, message) => {
    await expect(renderCommand.run(values, positionals)).rejects.toThrow(UsageError);
    await expect(renderCommand.run(values, positionals)).rejects.toThrow(message);
  });
});
