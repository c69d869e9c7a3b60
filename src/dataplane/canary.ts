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
 */
import { randomBytes } from "node:crypto";
import type { KubeConfig } from "@kubernetes/client-node";
import { requestJson } from "../io/client.js";
import { apply } from "./api.js";

export const CANARY_LABEL = "netfence.io/dataplane-canary";

export interface CanaryTarget {
  namespace: string;
  sources: readonly [string, string];
  destination: string;
}

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
    for (;;) {
      if (await this.ping(`${namespace}/${source}`, `${namespace}/${destination}`)) return Date.now() - started;
      if (Date.now() - started > timeoutMs) throw new Error(`felix did not program the canary policy within ${String(timeoutMs / 1000)}s`);
    }
  }
}
