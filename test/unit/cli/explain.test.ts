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
    ["a missing --to", { filename: [cluster] }, "--to is required (namespace/pod)"],
    ["an outside address", { filename: [cluster], to: "192.0.2.1" }, "--to 192.0.2.1: an address outside the cluster has no NetworkPolicies; name a pod (namespace/pod)"],
    ["an unknown pod", { filename: [cluster], to: "dev/x" }, "--to: unknown pod dev/x (pods in dev: nginx1, nginx3)"],
  ])("rejects %s", async (_name, values, message) => {
    await expect(explainCommand.run(values, [])).rejects.toEqual(new UsageError(message));
  });
});
