import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it, jest } from "@jest/globals";
import { UsageError } from "../../../src/cli/command.js";
import { explainCommand } from "../../../src/cli/explain.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const cluster = join(root, "test/fixtures/walkthrough/cluster.yaml");

async function run(values: Record<string, unknown>): Promise<string> {
  const printed: string[] = [];
  const log = jest.spyOn(console, "log").mockImplementation((line: unknown) => printed.push(String(line)));
  try {
    expect(await explainCommand.run(values, [])).toBe(0);
    return printed.join("\n");
  } finally {
    log.mockRestore();
  }
}

describe("netfence explain", () => {
  it("lists the isolating policies and what each rule admits", async () => {
    await expect(run({ filename: [cluster, join(root, "test/fixtures/walkthrough/s4-ipblock-except/policy.yaml")], to: "dev/nginx1" })).resolves.toBe(
      [
        "Pod dev/nginx1",
        "  labels:     run=nginx1,app=nginx1",
        "  IPs:        10.3.104.4",
        "  ports:      TCP/80",
        "  namespace:  dev (kubernetes.io/metadata.name=dev)",
        "",
        "Ingress: isolated by 1 NetworkPolicy — only what these rules admit may reach it (rules are unioned)",
        "  dev/dev-netpolicy  (podSelector app=nginx1; policyTypes Ingress, Egress)",
        "    ingress[0]  from ipBlock 10.3.0.0/16 except 10.3.166.139/32 → dev/nginx1, dev/nginx3, test/nginx4 (and outside addresses in the block)",
        "                ports: all ports and protocols (ICMP included)",
        "",
        "Egress: isolated by 1 NetworkPolicy — only what these rules admit may leave it (rules are unioned)",
        "  dev/dev-netpolicy  (podSelector app=nginx1; policyTypes Ingress, Egress)",
        "    no egress rules: admits nothing",
      ].join("\n"),
    );
  });

  it("explains policies rendered from an IsolationProfile", async () => {
    const out = await run({ filename: [cluster, join(root, "deploy/samples/walkthrough/s5-same-namespace-label.yaml")], to: "dev/nginx1" });
    expect(out).toContain("from pods access_nginx1=true in namespace dev → no pods");
    expect(out).toMatch(/Egress: isolated by 1 NetworkPolicy/);
  });

  it("says when a pod is not isolated", async () => {
    const out = await run({ filename: [cluster], to: "test/nginx2" });
    expect(out.split("\n").slice(-3)).toEqual([
      "Ingress: not isolated — no NetworkPolicy selects it with policyType Ingress; all traffic may reach it",
      "",
      "Egress: not isolated — no NetworkPolicy selects it with policyType Egress; all traffic may leave it",
    ]);
  });

  it("prints -o json", async () => {
    const out = JSON.parse(await run({ filename: [cluster, join(root, "test/fixtures/walkthrough/s2-deny-ingress/policy.yaml")], to: "dev/nginx3", output: "json" })) as unknown;
    expect(out).toMatchObject({ pod: "dev/nginx3", ingress: { isolated: true, policies: [{ key: "dev/dev-netpolicy", types: ["Ingress"], rules: [] }] }, egress: { isolated: false, policies: [] } });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ["a missing --to", { filename: [cluster] }, "--to (namespace/pod) or --namespace is required"],
    ["an outside address", { filename: [cluster], to: "192.0.2.1" }, "--to 192.0.2.1: an address outside the cluster has no NetworkPolicies; name a pod (namespace/pod)"],
    ["an unknown pod", { filename: [cluster], to: "dev/x" }, "--to: unknown pod dev/x (pods in dev: nginx1, nginx3)"],
  ])("rejects %s", async (_name, values, message) => {
    await expect(explainCommand.run(values, [])).rejects.toEqual(new UsageError(message));
  });
});

describe("netfence explain --namespace", () => {
  const bypass = (file: string): string => join(root, "test/fixtures/bypass", file);

  it.each<[string, Record<string, unknown>, string[]]>([
    [
      "names every policy that bypasses each profile, with a witness",
      { filename: [cluster, bypass("dev.yaml")], namespace: "dev" },
      [
        "Namespace dev: 5 NetworkPolicies, 2 from netfence profiles",
        "",
        "Profile no-egress (dev/netfence-no-egress; podSelector <all>; isolates Egress): Bypassed",
        "  bypassed by dev/web-out (NetworkPolicies add up; what each rule admits beyond the profile):",
        "    Certain   dev/web-out egress[0]: any pod in namespaces kubernetes.io/metadata.name=test, TCP 8080-8090",
        "              e.g. a pod with no labels in namespace test, TCP 8080",
        "  nothing beyond the profile from: dev/allow-all, dev/netfence-same-ns, dev/same-namespace",
        "",
        "Profile same-ns (dev/netfence-same-ns; podSelector <all>; isolates Ingress): Bypassed",
        "  bypassed by dev/allow-all (NetworkPolicies add up; what each rule admits beyond the profile):",
        "    Certain   dev/allow-all ingress[0]: any pod in any namespace and any address, any port",
        "              e.g. a pod with no labels in namespace x, TCP 80",
        "  nothing beyond the profile from: dev/netfence-no-egress, dev/same-namespace, dev/web-out",
      ],
    ],
    [
      "says why a bypass is only possible",
      { filename: [cluster, bypass("test-ns.yaml")], namespace: "test" },
      [
        "Namespace test: 2 NetworkPolicies, 1 from netfence profiles",
        "",
        "Profile office (test/netfence-office; podSelector <all>; isolates Ingress): Bypassed",
        "  bypassed by test/from-dev (NetworkPolicies add up; what each rule admits beyond the profile):",
        "    Possible  test/from-dev ingress[0]: any pod in namespaces kubernetes.io/metadata.name=dev, TCP 80",
        "              undecided: any pod in namespaces kubernetes.io/metadata.name=dev: outside the profile's selectors, admitted by its ipBlock 10.3.0.0/16 only if their pod IPs fall in it",
      ],
    ],
    [
      "says Isolated when nothing else is there",
      { filename: [cluster, join(root, "deploy/samples/walkthrough/s2-deny-ingress.yaml")], namespace: "dev" },
      [
        "Namespace dev: 1 NetworkPolicy, 1 from netfence profiles",
        "",
        "Profile walkthrough-s2-deny-ingress (dev/netfence-walkthrough-s2-deny-ingress; podSelector <all>; isolates Ingress): Isolated",
        "  no other NetworkPolicy in the namespace",
      ],
    ],
    [
      "says Isolated when the other policies stay within the profile",
      { filename: [cluster, join(root, "deploy/samples/walkthrough/s2-deny-ingress.yaml"), join(root, "test/fixtures/walkthrough/s3-deny-all/policy.yaml")], namespace: "dev" },
      [
        "Namespace dev: 2 NetworkPolicies, 1 from netfence profiles",
        "",
        "Profile walkthrough-s2-deny-ingress (dev/netfence-walkthrough-s2-deny-ingress; podSelector <all>; isolates Ingress): Isolated",
        "  nothing beyond the profile from: dev/dev-netpolicy",
      ],
    ],
    [
      "says when no profile isolates the namespace",
      { filename: [cluster], namespace: "test" },
      ["Namespace test: 0 NetworkPolicies, 0 from netfence profiles", "  no policy labelled app.kubernetes.io/managed-by=netfence: no profile isolates this namespace"],
    ],
  ])("%s", async (_name, values, lines) => {
    await expect(run(values)).resolves.toBe(lines.join("\n"));
  });

  it("prints -o json", async () => {
    const out = JSON.parse(await run({ filename: [cluster, bypass("dev.yaml")], namespace: "dev", output: "json" })) as unknown;
    expect(out).toMatchObject({
      namespace: "dev",
      profiles: [
        { profile: "no-egress", verdict: { state: "Bypassed", bypassedBy: [{ policy: "dev/web-out", direction: "Egress", rule: 0, certainty: "Certain" }] } },
        { profile: "same-ns", verdict: { state: "Bypassed", bypassedBy: [{ policy: "dev/allow-all", direction: "Ingress", rule: 0, certainty: "Certain" }] } },
      ],
    });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ["both --to and --namespace", { filename: [cluster], to: "dev/nginx1", namespace: "dev" }, "--to and --namespace explain different things: give one"],
    ["an empty --namespace", { filename: [cluster], namespace: "" }, "--namespace needs a namespace name"],
  ])("rejects %s", async (_name, values, message) => {
    await expect(explainCommand.run(values, [])).rejects.toEqual(new UsageError(message));
  });
});
