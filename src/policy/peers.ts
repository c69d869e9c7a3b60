/**
 * What one NetworkPolicy peer admits, read once for every caller: the exact
 * evaluator (reachability.ts) turns it into the pods and addresses of a
 * cluster, the Bypassed verdict (bypass-space.ts) into sets it can compare.
 *
 * A peer is an ipBlock (its addresses; selectors beside it are ignored, as the
 * evaluator reads it), pods by namespace and pod selector (a podSelector alone
 * means the policy's own namespace), or nothing (no field set). An ipBlock this
 * parser cannot read — spellings an older API server stored (`010.0.0.0/8`,
 * `/00`) that a data plane may still accept — is `unreadable`: the evaluator
 * matches nothing with a warning, the verdict calls it a possible bypass. Pure.
 */
import { parseIpBlock, type IpBlockRange } from "../k8s/cidr.js";
import type { LabelSelector, NetworkPolicyPeer } from "../k8s/objects.js";

export type PeerMeaning =
  /** `text`: the block as written ("10.0.0.0/8 except 10.3.0.0/16"). `withSelector`: selectors were set beside it and are ignored. */
  | { kind: "addresses"; block: IpBlockRange; text: string; withSelector: boolean }
  /** `namespaceSelector` "same": the policy's own namespace. */
  | { kind: "pods"; namespaceSelector: LabelSelector | "same"; podSelector: LabelSelector }
  /** An ipBlock the parser cannot read: `error` names the field within the block. */
  | { kind: "unreadable"; text: string; error: string }
  /** No podSelector, namespaceSelector or ipBlock (the API server refuses it): admits nothing. */
  | { kind: "empty" };

/** "10.0.0.0/8" or "10.0.0.0/8 except 10.3.0.0/16, 10.4.0.0/16", as written. */
export function ipBlockText(block: { cidr: string; except?: readonly string[] }): string {
  const except = block.except ?? [];
  return `${block.cidr}${except.length > 0 ? ` except ${except.join(", ")}` : ""}`;
}

export function readPeer(peer: NetworkPolicyPeer): PeerMeaning {
  if (peer.ipBlock !== undefined) {
    const text = ipBlockText(peer.ipBlock);
    const block = parseIpBlock(peer.ipBlock);
    if (!block.ok) return { kind: "unreadable", text, error: block.error };
    return { kind: "addresses", block: block.value, text, withSelector: peer.podSelector !== undefined || peer.namespaceSelector !== undefined };
  }
  if (peer.podSelector === undefined && peer.namespaceSelector === undefined) return { kind: "empty" };
  return { kind: "pods", namespaceSelector: peer.namespaceSelector ?? "same", podSelector: peer.podSelector ?? {} };
}
