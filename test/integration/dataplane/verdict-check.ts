/**
 * The Bypassed verdict against real packets. Where a profile's verdict for a
 * namespace is Isolated, the other policies there add nothing: every packet
 * that got through to (or from) a pod the profile isolates must be one the
 * profile's own policy admits on that side. The packets are the kernel's; what
 * the profile alone admits is netfence's exact evaluator (reachability.ts),
 * with the namespace's other policies left out.
 */
import type { ProbeResult } from "../../../src/dataplane/probe.js";
import type { NetworkPolicy, Pod } from "../../../src/k8s/objects.js";
import { bypassVerdict } from "../../../src/policy/bypass.js";
import { buildIndex, effectivePolicyTypes, evaluate, resolveEndpoint, type Traffic } from "../../../src/policy/reachability.js";
import { matchesSelector } from "../../../src/policy/selectors.js";
import type { World } from "./random-cluster.js";

export interface VerdictCheck {
  /** Namespaces judged Isolated and checked, and judged Bypassed. */
  isolated: number;
  bypassed: number;
  /** "ns/pod → ns/pod TCP/80 (ingress)": packets an Isolated verdict would hide. */
  hidden: string[];
}

function trafficOf(r: ProbeResult): Traffic {
  return r.protocol === "ICMP" ? { protocol: "ICMP" } : { protocol: r.protocol, port: r.port ?? 0 };
}

export function checkIsolatedVerdicts(profileName: string, generated: readonly NetworkPolicy[], all: readonly NetworkPolicy[], w: World, results: readonly ProbeResult[]): VerdictCheck {
  const out: VerdictCheck = { isolated: 0, bypassed: 0, hidden: [] };
  const pods: Pod[] = w.pods.map(({ pod, ip }) => ({ ...pod, status: { podIP: ip, podIPs: [{ ip }] } }));
  for (const desired of generated) {
    const namespace = desired.metadata.namespace ?? "";
    const labels = w.namespaces.find((n) => n.metadata.name === namespace)?.metadata.labels;
    const here = all.filter((p) => p.metadata.namespace === namespace);
    const verdict = bypassVerdict({ profileName, namespace, ...(labels ? { namespaceLabels: labels } : {}), desired, policies: here });
    if (verdict.state === "Bypassed") {
      out.bypassed++;
      continue;
    }
    out.isolated++;
    const alone = buildIndex({ namespaces: w.namespaces, pods, policies: [...all.filter((p) => p.metadata.namespace !== namespace), desired] });
    const types = effectivePolicyTypes(desired);
    const isolates = (ref: string) => {
      const [ns, name] = ref.split("/");
      const pod = w.pods.find((p) => p.pod.metadata.namespace === ns && p.pod.metadata.name === name)?.pod;
      return ns === namespace && pod !== undefined && matchesSelector(desired.spec.podSelector, pod.metadata.labels);
    };
    for (const r of results) {
      if (!r.allowed) continue;
      const from = resolveEndpoint(alone, r.from);
      const to = resolveEndpoint(alone, r.to);
      if (!from.ok || !to.ok) continue;
      const e = evaluate(alone, from.value, to.value, trafficOf(r));
      const where = `${r.from} → ${r.to} ${r.protocol}${r.port === undefined ? "" : `/${String(r.port)}`}`;
      if (types.includes("Ingress") && isolates(r.to) && !e.ingress.allowed) out.hidden.push(`${where} (ingress of ${namespace}, verdict Isolated)`);
      if (types.includes("Egress") && isolates(r.from) && !e.egress.allowed) out.hidden.push(`${where} (egress of ${namespace}, verdict Isolated)`);
    }
  }
  return out;
}
