/**
 * The demo's last story: under s3, a tenant writes an allow-all NetworkPolicy
 * in dev. Enforced with NetworkPolicies, netfence can only report it (dev
 * Bypassed) and test reaches dev; enforced in the Admin tier, the tenant's
 * policy changes nothing in the cluster (dev tenant-proof) and test does not
 * reach dev. With the data plane each verdict is a real ping; without it, the
 * prediction, labelled so.
 */
import { join } from "node:path";
import { GROUP, PLURAL, VERSION } from "../api/constants.js";
import type { Enforcement, IsolationProfile, NamespaceStatus } from "../api/types.js";
import { computeMatrix } from "../cli/matrix.js";
import type { DataPlane } from "../dataplane/dataplane.js";
import { getJson } from "../io/client.js";
import type { loadKubeConfig } from "../io/kubeconfig.js";
import { matrixCells } from "../policy/reachability.js";
import type { Kubectl } from "./kubectl.js";
import { FIXTURES_DIR } from "./walkthrough.js";

export const TENANT_SAMPLE = `${FIXTURES_DIR}/tenant-allow-all.yaml`;
const FROM = "test/nginx2";
const TO = "dev/nginx1";
const TIMEOUT_MS = 30_000;

export interface TenantContext {
  kubectl: Kubectl;
  kc: ReturnType<typeof loadKubeConfig>;
  kubeconfig: string;
  root: string;
  print: (text: string) => void;
  signal: AbortSignal;
  packets: DataPlane | undefined;
}

export interface TenantResult {
  /** NetworkPolicy enforcement: dev Bypassed and test reached dev. */
  reported: boolean;
  /** Admin tier: dev tenant-proof in the cluster and test did not reach dev; undefined when the cluster has no Admin tier. */
  prevented?: boolean;
}

/** Under s3 (the profile `name` from `sample`), the tenant's allow-all with each enforcement. */
export async function tenantStory(ctx: TenantContext, sample: string, name: string): Promise<TenantResult> {
  const { kubectl, print } = ctx;
  print(`$ kubectl apply -f ${sample}`);
  await kubectl.run(["apply", "-f", join(ctx.root, sample)]);
  const reported = await withEnforcement(ctx, name, "NetworkPolicy", async () => {
    print(`$ kubectl apply -f ${TENANT_SAMPLE}   # the tenant of dev allows every ingress`);
    await kubectl.run(["apply", "-f", join(ctx.root, TENANT_SAMPLE)]);
    const dev = await until(ctx, name, "dev Bypassed", (_p, e) => (e?.state === "Bypassed" ? e : undefined));
    print(`dev: ${dev.state} — ${dev.message ?? ""}`);
    const reached = await reaches(ctx);
    print(`${reached ? "✓" : "✗"} ${verdictLine(ctx, reached)} (NetworkPolicies add up: the tenant reopened dev)`);
    return reached;
  });
  let prevented: boolean | undefined;
  await withEnforcement(ctx, name, "AdminTier", async () => {
    const profile = await until(ctx, name, "the Admin-tier choice", (p) => (p.status?.enforcement?.requested === "AdminTier" && p.status.observedGeneration === p.metadata.generation ? p : undefined));
    const enforcement = profile.status?.enforcement;
    if (enforcement?.mode !== "AdminTier") {
      print(`This cluster has no Admin tier netfence can enforce with (${enforcement?.reason ?? "unknown"}: ${enforcement?.message ?? ""}); the prevention half needs the data plane.`);
      return false;
    }
    const dev = await until(ctx, name, "dev tenant-proof", (_p, e) => (e?.tenantProof === "InCluster" ? e : undefined));
    print(`dev: ${dev.state}, tenantProof ${dev.tenantProof ?? ""} (${enforcement.kind ?? ""} ${enforcement.object ?? ""}) — ${dev.message ?? ""}`);
    const reached = await reaches(ctx);
    print(`${reached ? "✗" : "✓"} ${verdictLine(ctx, reached)} (the Admin tier decides before any NetworkPolicy)`);
    prevented = !reached;
    return prevented;
  });
  print(`$ kubectl delete -f ${TENANT_SAMPLE}; kubectl delete isop ${name}`);
  await kubectl.run(["delete", "-f", join(ctx.root, TENANT_SAMPLE), "--ignore-not-found"]);
  await kubectl.run(["delete", "isop", name, "--wait=true", "--timeout=30s"]);
  return prevented === undefined ? { reported } : { reported, prevented };
}

async function withEnforcement(ctx: TenantContext, name: string, enforcement: Enforcement, then: () => Promise<boolean>): Promise<boolean> {
  const patch = JSON.stringify({ spec: { enforcement } });
  ctx.print(`$ kubectl patch isop ${name} --type=merge -p '${patch}'`);
  await ctx.kubectl.run(["patch", "isop", name, "--type=merge", "-p", patch]);
  return then();
}

function verdictLine(ctx: TenantContext, reached: boolean): string {
  return ctx.packets ? `ping ${FROM} → ${TO}: ${reached ? "delivered" : "dropped"}` : `predicted ICMP ${FROM} → ${TO}: ${reached ? "allowed" : "denied"}`;
}

/** test/nginx2 → dev/nginx1: a real ping once felix enforces what was written, else netfence's prediction. */
async function reaches(ctx: TenantContext): Promise<boolean> {
  if (ctx.packets) {
    await ctx.packets.sync();
    await ctx.packets.forgetConnections();
    return (await ctx.packets.probe({ from: FROM, to: TO, protocol: "ICMP" })).allowed;
  }
  const { matrix } = await computeMatrix({ input: { kubeconfig: ctx.kubeconfig }, traffic: { protocol: "ICMP" }, namespaces: ["dev", "test"], externals: [] });
  return matrixCells(matrix).some((c) => c.from === FROM && c.to === TO && c.allowed);
}

/** Until the profile, with its entry for dev, passes `check` at its current generation. */
async function until<T>(ctx: TenantContext, name: string, what: string, check: (p: IsolationProfile, dev: NamespaceStatus | undefined) => T | undefined): Promise<T> {
  const deadline = Date.now() + TIMEOUT_MS;
  const path = `/apis/${GROUP}/${VERSION}/${PLURAL}/${name}`;
  for (;;) {
    ctx.signal.throwIfAborted();
    const p = (await getJson(ctx.kc, path, { timeoutMs: 5000 })) as IsolationProfile;
    const found = p.status?.observedGeneration === p.metadata.generation ? check(p, p.status?.namespaces?.find((n) => n.name === "dev")) : undefined;
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`IsolationProfile ${name}: no ${what} after ${String(TIMEOUT_MS / 1000)}s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
