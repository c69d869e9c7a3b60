/**
 * Knowing that felix has programmed what was written: a canary that flips on
 * the wire only after felix has seen a fresh write on each watch the tests
 * write through (pods, namespaces, NetworkPolicies). Watch events of one kind
 * arrive in order, so once the canary's source pod, its namespace and its
 * policy all carry the new token and a packet gets through, everything written
 * before on those watches has been programmed too.
 *
 * Three canary pods in their own namespace: b admits ingress only from a pod
 * and namespace labelled with the policy's token. Sources a and c alternate,
 * so the source of a round never already carries the token: only a fresh
 * token lets a packet through, a positive signal rather than a timeout.
 *
 * Felix watches AdminNetworkPolicies on a watch of their own, in no order
 * with the others, so where the API serves them the round also writes an
 * AdminNetworkPolicy that passes only the token into b and denies the rest of
 * the canary namespace: the packet then gets through only once felix has
 * seen that write too, and with it every AdminNetworkPolicy written before.
 * (BaselineAdminNetworkPolicy, a singleton the tests own, has no canary.)
 */
import { randomBytes } from "node:crypto";
import type { KubeConfig } from "@kubernetes/client-node";
import { requestJson } from "../io/client.js";
import { classify } from "../io/errors.js";
import { apply } from "./api.js";

export const CANARY_LABEL = "netfence.io/dataplane-canary";

export interface CanaryTarget {
  namespace: string;
  sources: readonly [string, string];
  destination: string;
  /** The canary's AdminNetworkPolicy (cluster-scoped: one name per run). */
  adminName: string;
}

/** Last in the Admin tier (the tests' own use 0–100), on a subject no test selects: the canary pods. */
const CANARY_PRIORITY = 1000;
export const ANP_PATH = "/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies";

export class Canary {
  private round = 0;

  constructor(
    private readonly kc: KubeConfig,
    readonly target: CanaryTarget,
    /** ICMP from a canary pod to the destination: true when an echo came back. */
    private readonly ping: (from: string, to: string) => Promise<boolean>,
  ) {}

  /** The NetworkPolicy that admits only `token` into the destination. */
  private policy(token: string): unknown {
    const { namespace, destination } = this.target;
    return {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "dataplane-canary", namespace },
      spec: {
        podSelector: { matchLabels: { [CANARY_LABEL]: `dst-${destination}` } },
        policyTypes: ["Ingress"],
        ingress: [{ from: [{ podSelector: { matchLabels: { [CANARY_LABEL]: token } }, namespaceSelector: { matchLabels: { [CANARY_LABEL]: token } } }] }],
      },
    };
  }

  /** The AdminNetworkPolicy that passes only `token` into the destination and denies the rest of the canary namespace. */
  private adminPolicy(token: string): unknown {
    const { namespace, destination, adminName } = this.target;
    const inCanary = { matchLabels: { "kubernetes.io/metadata.name": namespace } };
    return {
      apiVersion: "policy.networking.k8s.io/v1alpha1",
      kind: "AdminNetworkPolicy",
      metadata: { name: adminName },
      spec: {
        priority: CANARY_PRIORITY,
        subject: { pods: { namespaceSelector: inCanary, podSelector: { matchLabels: { [CANARY_LABEL]: `dst-${destination}` } } } },
        ingress: [
          { name: "fresh-token", action: "Pass", from: [{ pods: { namespaceSelector: { matchLabels: { [CANARY_LABEL]: token } }, podSelector: { matchLabels: { [CANARY_LABEL]: token } } } }] },
          { name: "stale-token", action: "Deny", from: [{ namespaces: inCanary }] },
        ],
      },
    };
  }

  /** Writes the round's AdminNetworkPolicy; false where the API does not serve the kind (nothing to order then). */
  private async applyAdmin(token: string): Promise<boolean> {
    try {
      await apply(this.kc, `${ANP_PATH}/${this.target.adminName}`, this.adminPolicy(token));
      return true;
    } catch (err) {
      if (classify(err).kind === "NotFound") return false;
      throw err;
    }
  }

  private label(path: string, token: string): Promise<unknown> {
    return requestJson(this.kc, "PATCH", path, {
      body: { metadata: { labels: { [CANARY_LABEL]: token } } },
      contentType: "application/merge-patch+json",
      timeoutMs: 30_000,
    });
  }

  /** One round: fresh token on a source pod, the namespace and the policy; resolves when a packet gets through. Returns the milliseconds it took. */
  async sync(timeoutMs = 60_000): Promise<number> {
    const started = Date.now();
    const { namespace, sources, destination } = this.target;
    const source = sources[this.round++ % 2] ?? sources[0];
    const token = `t-${randomBytes(4).toString("hex")}`;
    await this.label(`/api/v1/namespaces/${namespace}/pods/${source}`, token);
    await this.label(`/api/v1/namespaces/${namespace}`, token);
    await apply(this.kc, `/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies/dataplane-canary`, this.policy(token));
    await this.applyAdmin(token);
    for (;;) {
      if (await this.ping(`${namespace}/${source}`, `${namespace}/${destination}`)) return Date.now() - started;
      if (Date.now() - started > timeoutMs) throw new Error(`felix did not program the canary policy within ${String(timeoutMs / 1000)}s`);
    }
  }
}
