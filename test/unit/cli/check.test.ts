import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it, jest } from "@jest/globals";
import { checkCommand } from "../../../src/cli/check.js";
import { UsageError } from "../../../src/cli/command.js";

const walkthrough = resolve(dirname(fileURLToPath(import.meta.url)), "../../fixtures/walkthrough");
const cluster = join(walkthrough, "cluster.yaml");
const s4 = [cluster, join(walkthrough, "s4-ipblock-except/policy.yaml")];
const s5 = [cluster, join(walkthrough, "s5-same-namespace-label/policy.yaml")];

async function run(values: Record<string, unknown>): Promise<{ code: number; out: string }> {
  const printed: string[] = [];
  const log = jest.spyOn(console, "log").mockImplementation((line: unknown) => printed.push(String(line)));
  try {
    const code = await checkCommand.run(values, []);
    return { code, out: printed.join("\n") };
  } finally {
    log.mockRestore();
  }
}

describe("netfence check", () => {
  it.each<[string, Record<string, unknown>, number, string]>([
    [
      "an ipBlock admits a pod inside the block",
      { filename: s4, from: "test/nginx4", to: "dev/nginx1" },
      0,
      [
        "allowed: test/nginx4 → dev/nginx1 TCP/80",
        "  ✓ egress of test/nginx4: not isolated for egress: no NetworkPolicy in test selects it with policyType Egress",
        "  ✓ ingress of dev/nginx1: isolated for ingress by dev/dev-netpolicy; admitted by:",
        "        dev/dev-netpolicy ingress[0]: from[0] ipBlock 10.3.0.0/16 except 10.3.166.139/32; no ports (all)",
      ].join("\n"),
    ],
    [
      "the except address is denied",
      { filename: s4, from: "test/nginx2", to: "dev/nginx1", protocol: "ICMP" },
      1,
      [
        "denied: test/nginx2 → dev/nginx1 ICMP",
        "  ✓ egress of test/nginx2: not isolated for egress: no NetworkPolicy in test selects it with policyType Egress",
        "  ✗ ingress of dev/nginx1: isolated for ingress by dev/dev-netpolicy; no ingress rule admits test/nginx2 on ICMP",
      ].join("\n"),
    ],
    [
      "an isolated source cannot send",
      { filename: s5, from: "dev/nginx1", to: "test/nginx2" },
      1,
      [
        "denied: dev/nginx1 → test/nginx2 TCP/80",
        "  ✗ egress of dev/nginx1: isolated for egress by dev/dev-netpolicy; no egress rule admits test/nginx2 on TCP/80",
        "  ✓ ingress of test/nginx2: not isolated for ingress: no NetworkPolicy in test selects it with policyType Ingress",
      ].join("\n"),
    ],
    [
      "an outside address has no policy of its own",
      { filename: s4, from: "192.0.2.10", to: "dev/nginx3" },
      0,
      [
        "allowed: 192.0.2.10 → dev/nginx3 TCP/80",
        "  ✓ egress of 192.0.2.10: 192.0.2.10 is outside the cluster: no NetworkPolicy applies to it",
        "  ✓ ingress of dev/nginx3: not isolated for ingress: no NetworkPolicy in dev selects it with policyType Ingress",
      ].join("\n"),
    ],
    ["a pod reaches itself", { filename: s5, from: "dev/nginx1", to: "dev/nginx1" }, 0, "allowed: dev/nginx1 → dev/nginx1 TCP/80\n  a pod may always reach itself"],
    [
      "a pod IP is that pod",
      { filename: s5, from: "10.3.104.5", to: "dev/nginx1", protocol: "udp", port: "53" },
      1,
      [
        "denied: dev/nginx3 → dev/nginx1 UDP/53",
        "  ✓ egress of dev/nginx3: not isolated for egress: no NetworkPolicy in dev selects it with policyType Egress",
        "  ✗ ingress of dev/nginx1: isolated for ingress by dev/dev-netpolicy; no ingress rule admits dev/nginx3 on UDP/53",
      ].join("\n"),
    ],
    ["a port name the destination lacks", { filename: s5, from: "dev/nginx3", to: "test/nginx2", port: "metrics" }, 1, "denied: dev/nginx3 → test/nginx2 TCP/metrics\n  test/nginx2 has no TCP container port named metrics"],
  ])("%s", async (_name, values, code, out) => {
    await expect(run(values)).resolves.toEqual({ code, out });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ["an unknown pod", { filename: s5, from: "dev/nginx9", to: "dev/nginx1" }, "--from: unknown pod dev/nginx9 (pods in dev: nginx1, nginx3)"],
    ["an unknown namespace", { filename: s5, from: "dev/nginx1", to: "prod/x" }, "--to: unknown pod prod/x (no pods in namespace prod)"],
    ["neither pod nor IP", { filename: s5, from: "nginx1", to: "dev/nginx1" }, "--from: 'nginx1' is neither namespace/pod nor an IP address"],
    ["a missing --to", { filename: s5, from: "dev/nginx1" }, "--from and --to are required (namespace/pod or an IP address)"],
    ["an unknown protocol", { filename: s5, from: "dev/nginx1", to: "dev/nginx3", protocol: "HTTP" }, "unknown protocol 'HTTP': expected TCP, UDP, SCTP or ICMP"],
  ])("rejects %s with a usage error", async (_name, values, message) => {
    await expect(checkCommand.run(values, [])).rejects.toEqual(new UsageError(message));
  });
});
