/**
 * Profiles that must be rejected, shared by the zod tests (parse.test.ts) and
 * the API server tests (test/integration/crd-validation.test.ts): both must
 * name the same field.
 */
import { MESSAGES } from "../../../src/api/rules.js";

export interface InvalidCase {
  name: string;
  spec: Record<string, unknown>;
  /** The field both validators name (the server may stop at the list, zod names the item). */
  path: string;
  /** A fragment of the message, when both word it the same way. */
  message?: string;
  /** The API server prunes unknown fields instead of rejecting them. */
  offlineOnly?: boolean;
}

const base = { preset: "deny-all", namespaces: { names: ["dev"] } };
const withSpec = (extra: Record<string, unknown>): Record<string, unknown> => ({ ...base, ...extra });
const peer = (p: unknown): Record<string, unknown> => withSpec({ allowedPeers: [p] });
const ipBlock = (cidr: string, except?: string[]): Record<string, unknown> => peer({ ipBlock: except ? { cidr, except } : { cidr } });
const podSelector = (selector: unknown): Record<string, unknown> => withSpec({ podSelector: selector });
const port = (p: unknown): Record<string, unknown> => withSpec({ ports: [p] });
const many = (n: number, make: (i: number) => unknown): unknown[] => Array.from({ length: n }, (_, i) => make(i));

export const INVALID_PROFILES: InvalidCase[] = [
  { name: "a profile without a preset", spec: { namespaces: { names: ["dev"] } }, path: "spec.preset" },
  { name: "a preset outside the five", spec: withSpec({ preset: "deny-some" }), path: "spec.preset", message: "Unsupported value" },
  { name: "a profile without namespaces", spec: { preset: "deny-all" }, path: "spec.namespaces" },
  { name: "an empty namespace selection", spec: withSpec({ namespaces: {} }), path: "spec.namespaces", message: MESSAGES.emptySelection },
  { name: "an empty names list and no selector", spec: withSpec({ namespaces: { names: [] } }), path: "spec.namespaces", message: MESSAGES.emptySelection },
  { name: "a selection that only excludes", spec: withSpec({ namespaces: { exclude: ["dev"] } }), path: "spec.namespaces", message: MESSAGES.emptySelection },
  { name: "an upper-case namespace name", spec: withSpec({ namespaces: { names: ["Dev"] } }), path: "spec.namespaces.names[0]" },
  { name: "a namespace name over 63 characters", spec: withSpec({ namespaces: { names: ["a".repeat(64)] } }), path: "spec.namespaces.names[0]" },
  { name: "more than 100 namespace names", spec: withSpec({ namespaces: { names: many(101, (i) => `ns-${String(i)}`) } }), path: "spec.namespaces.names" },
  { name: "an exclude entry with an underscore", spec: withSpec({ namespaces: { names: ["dev"], exclude: ["dev_x"] } }), path: "spec.namespaces.exclude[0]" },
  {
    name: "a namespace selector with an In requirement and no values",
    spec: withSpec({ namespaces: { selector: { matchExpressions: [{ key: "team", operator: "In" }] } } }),
    path: "spec.namespaces.selector.matchExpressions[0].values",
    message: MESSAGES.valuesRequired,
  },
  { name: "allow-by-label without allowedPeers", spec: withSpec({ preset: "allow-by-label" }), path: "spec.allowedPeers", message: MESSAGES.allowByLabelNeedsPeers },
  {
    name: "allowedPeers under deny-egress",
    spec: withSpec({ preset: "deny-egress", allowedPeers: [{ podSelector: {} }] }),
    path: "spec.allowedPeers",
    message: MESSAGES.denyEgressHasNoIngressPeers,
  },
  { name: "ports under deny-egress", spec: withSpec({ preset: "deny-egress", ports: [{ port: 80 }] }), path: "spec.ports", message: MESSAGES.denyEgressHasNoIngressPorts },
  { name: "egress allowances under deny-ingress", spec: withSpec({ preset: "deny-ingress", egress: [{ ports: [{ port: 443 }] }] }), path: "spec.egress", message: MESSAGES.egressNeedsEgressPreset },
  { name: "an empty peer", spec: peer({}), path: "spec.allowedPeers[0]", message: MESSAGES.peerNeedsAField },
  { name: "an ipBlock next to a podSelector", spec: peer({ ipBlock: { cidr: "10.0.0.0/8" }, podSelector: {} }), path: "spec.allowedPeers[0].ipBlock", message: MESSAGES.ipBlockAlone },
  { name: "an ipBlock without a cidr", spec: peer({ ipBlock: { except: ["10.0.0.0/24"] } }), path: "spec.allowedPeers[0].ipBlock.cidr" },
  { name: "a cidr without a prefix length", spec: ipBlock("10.3.0.0"), path: "spec.allowedPeers[0].ipBlock.cidr", message: MESSAGES.notACidr },
  { name: "a cidr with a leading zero", spec: ipBlock("010.3.0.0/16"), path: "spec.allowedPeers[0].ipBlock.cidr", message: MESSAGES.notACidr },
  { name: "a cidr with a prefix over 32", spec: ipBlock("10.3.0.0/33"), path: "spec.allowedPeers[0].ipBlock.cidr", message: MESSAGES.notACidr },
  { name: "a cidr with host bits set", spec: ipBlock("10.3.0.1/16"), path: "spec.allowedPeers[0].ipBlock.cidr", message: "10.3.0.1/16 has host bits set" },
  { name: "an except outside the cidr", spec: ipBlock("10.3.0.0/16", ["10.9.0.0/24"]), path: "spec.allowedPeers[0].ipBlock.except", message: "10.9.0.0/24 is not inside 10.3.0.0/16" },
  { name: "an except equal to the cidr", spec: ipBlock("10.3.0.0/16", ["10.3.0.0/16"]), path: "spec.allowedPeers[0].ipBlock.except", message: "10.3.0.0/16 is not inside 10.3.0.0/16" },
  { name: "an IPv6 except in an IPv4 block", spec: ipBlock("10.3.0.0/16", ["fd00::/64"]), path: "spec.allowedPeers[0].ipBlock.except", message: "fd00::/64 is not inside 10.3.0.0/16" },
  { name: "an except that is not a CIDR", spec: ipBlock("10.3.0.0/16", ["10.3.1.1"]), path: "spec.allowedPeers[0].ipBlock.except[0]", message: MESSAGES.notACidr },
  { name: "more than 16 excepts", spec: ipBlock("10.0.0.0/8", many(17, (i) => `10.${String(i)}.0.0/16`) as string[]), path: "spec.allowedPeers[0].ipBlock.except" },
  { name: "more than 32 allowed peers", spec: withSpec({ allowedPeers: many(33, (i) => ({ podSelector: { matchLabels: { n: String(i) } } })) }), path: "spec.allowedPeers" },
  {
    name: "an unknown selector operator",
    spec: podSelector({ matchExpressions: [{ key: "team", operator: "Equals", values: ["a"] }] }),
    path: "spec.podSelector.matchExpressions[0].operator",
    message: "Unsupported value",
  },
  {
    name: "NotIn without values",
    spec: podSelector({ matchExpressions: [{ key: "team", operator: "NotIn", values: [] }] }),
    path: "spec.podSelector.matchExpressions[0].values",
    message: MESSAGES.valuesRequired,
  },
  {
    name: "Exists with values",
    spec: podSelector({ matchExpressions: [{ key: "team", operator: "Exists", values: ["a"] }] }),
    path: "spec.podSelector.matchExpressions[0].values",
    message: MESSAGES.valuesForbidden,
  },
  { name: "a requirement with an invalid key", spec: podSelector({ matchExpressions: [{ key: "a/b/c", operator: "Exists" }] }), path: "spec.podSelector.matchExpressions[0].key" },
  { name: "a label value with a space", spec: podSelector({ matchLabels: { app: "nginx 1" } }), path: "spec.podSelector.matchLabels.app" },
  { name: "a label value over 63 characters", spec: podSelector({ matchLabels: { app: "a".repeat(64) } }), path: "spec.podSelector.matchLabels.app" },
  { name: "a label key starting with a dash", spec: podSelector({ matchLabels: { "-app": "x" } }), path: "spec.podSelector.matchLabels", message: MESSAGES.labelKeys },
  {
    name: "an allowed peer with an invalid selector",
    spec: peer({ namespaceSelector: { matchExpressions: [{ key: "team", operator: "DoesNotExist", values: ["a"] }] } }),
    path: "spec.allowedPeers[0].namespaceSelector.matchExpressions[0].values",
    message: MESSAGES.valuesForbidden,
  },
  { name: "port 0", spec: port({ port: 0 }), path: "spec.ports[0].port", message: MESSAGES.portRange },
  { name: "port 65536", spec: port({ port: 65536 }), path: "spec.ports[0].port", message: MESSAGES.portRange },
  { name: "an upper-case port name", spec: port({ port: "HTTP" }), path: "spec.ports[0].port", message: MESSAGES.portName },
  { name: "a port name of digits only", spec: port({ port: "8080" }), path: "spec.ports[0].port", message: MESSAGES.portName },
  { name: "an endPort below the port", spec: port({ port: 8080, endPort: 80 }), path: "spec.ports[0].endPort", message: MESSAGES.endPortBelowPort },
  { name: "an endPort with a named port", spec: port({ port: "http", endPort: 90 }), path: "spec.ports[0].endPort", message: MESSAGES.endPortNeedsNumber },
  { name: "an endPort without a port", spec: port({ endPort: 90 }), path: "spec.ports[0].endPort", message: MESSAGES.endPortNeedsNumber },
  { name: "protocol ICMP", spec: port({ protocol: "ICMP", port: 80 }), path: "spec.ports[0].protocol", message: "Unsupported value" },
  {
    name: "an egress destination with an except outside its cidr",
    spec: withSpec({ egress: [{ to: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["11.0.0.0/16"] } }] }] }),
    path: "spec.egress[0].to[0].ipBlock.except",
    message: "11.0.0.0/16 is not inside 10.0.0.0/8",
  },
  { name: "an egress port out of range", spec: withSpec({ egress: [{ ports: [{ port: 70000 }] }] }), path: "spec.egress[0].ports[0].port", message: MESSAGES.portRange },
  { name: "a mode other than Enforce or DryRun", spec: withSpec({ mode: "Audit" }), path: "spec.mode", message: "Unsupported value" },
  { name: "a deletionPolicy other than Delete or Orphan", spec: withSpec({ deletionPolicy: "Keep" }), path: "spec.deletionPolicy", message: "Unsupported value" },
  { name: "allowDNS as a string", spec: withSpec({ allowDNS: "yes" }), path: "spec.allowDNS" },
  { name: "includeSystem as a string", spec: withSpec({ namespaces: { names: ["dev"], includeSystem: "true" } }), path: "spec.namespaces.includeSystem" },
  { name: "an enforcement outside the three", spec: withSpec({ enforcement: "Kernel" }), path: "spec.enforcement", message: "Unsupported value" },
  { name: "a priority above 1000", spec: withSpec({ priority: 1001 }), path: "spec.priority", message: MESSAGES.priorityMax },
  { name: "a negative priority", spec: withSpec({ priority: -1 }), path: "spec.priority", message: MESSAGES.priorityMin },
  { name: "a priority that is not an integer", spec: withSpec({ priority: 2.5 }), path: "spec.priority", message: "must be of type integer" },
  { name: "a misspelt field", spec: withSpec({ allowedPeer: [] }), path: "spec.allowedPeer", message: "unknown field", offlineOnly: true },
];
