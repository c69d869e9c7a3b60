/**
 * The validation rules of an IsolationProfile, each written once: its CEL
 * form (for the CRD, see crd.ts) next to the message both the API server and
 * parseProfile() (parse.ts, the same predicate in TypeScript) report.
 */
import { PORT_NAME_MAX_LENGTH, PORT_NAME_PATTERN } from "../k8s/port-name.js";
import { PRIORITY } from "./constants.js";

/** A regex both OpenAPI `pattern` (RE2) and JavaScript accept. */
export const PATTERNS = {
  /** A label value: empty, or alphanumerics, '-', '_', '.', alphanumeric at both ends. */
  labelValue: "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$",
  /** A qualified label key: optional DNS subdomain prefix and '/', then a name of at most 63 characters. */
  labelKey:
    "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$",
  /** A namespace name, or a glob over names with `*` and `?`. */
  namespacePattern: "^[a-z0-9*?]([-a-z0-9*?]*[a-z0-9*?])?$",
  /** An IANA service name, as a NetworkPolicy port name. */
  portName: PORT_NAME_PATTERN,
} as const;

/** kube-apiserver's own wording for a failed `pattern`. */
export function patternMessage(pattern: string): string {
  return `should match '${pattern}'`;
}

export interface Rule {
  rule: string;
  message?: string;
  messageExpression?: string;
  /** Relative to the object the rule sits on, e.g. ".allowedPeers". */
  fieldPath?: string;
  reason?: "FieldValueInvalid" | "FieldValueRequired" | "FieldValueForbidden";
}

const EGRESS_PRESETS = "['deny-egress', 'deny-all']";

export const MESSAGES = {
  allowByLabelNeedsPeers: "preset allow-by-label needs at least one entry in allowedPeers",
  denyEgressHasNoIngressPeers: "preset deny-egress does not isolate ingress, so allowedPeers would have no effect",
  denyEgressHasNoIngressPorts: "preset deny-egress does not isolate ingress, so ports would have no effect",
  egressNeedsEgressPreset: "egress allowances need a preset that isolates egress (deny-egress or deny-all)",
  emptySelection: "selects no namespaces: set names or selector",
  peerNeedsAField: "a peer needs podSelector, namespaceSelector or ipBlock",
  ipBlockAlone: "ipBlock cannot be combined with podSelector or namespaceSelector",
  notACidr: "must be a CIDR such as 10.0.0.0/16 or fd00::/64",
  valuesRequired: "values must be non-empty when operator is In or NotIn",
  valuesForbidden: "values must be empty when operator is Exists or DoesNotExist",
  labelKeys: "keys must be label keys such as 'team' or 'example.com/team'",
  portRange: "must be between 1 and 65535",
  portName: `must be a port number or a port name: at most ${String(PORT_NAME_MAX_LENGTH)} lowercase letters, digits or '-', with at least one letter`,
  endPortNeedsNumber: "endPort needs a numeric port",
  endPortBelowPort: "endPort must be greater than or equal to port",
  // kube-apiserver's words for `minimum` and `maximum`.
  priorityMin: `should be greater than or equal to ${String(PRIORITY.min)}`,
  priorityMax: `should be less than or equal to ${String(PRIORITY.max)}`,
} as const;

/** `10.3.0.1/16 has host bits set: use 10.3.0.0/16`. */
export function hostBitsMessage(cidr: string, network: string): string {
  return `${cidr} has host bits set: use ${network}`;
}

/** `10.9.0.0/24 is not inside 10.3.0.0/16`. */
export function notInsideMessage(except: string, cidr: string): string {
  return `${except} is not inside ${cidr}`;
}

export const RULES = {
  spec: [
    {
      rule: "self.preset != 'allow-by-label' || (has(self.allowedPeers) && size(self.allowedPeers) > 0)",
      message: MESSAGES.allowByLabelNeedsPeers,
      fieldPath: ".allowedPeers",
      reason: "FieldValueRequired",
    },
    {
      rule: "self.preset != 'deny-egress' || !has(self.allowedPeers) || size(self.allowedPeers) == 0",
      message: MESSAGES.denyEgressHasNoIngressPeers,
      fieldPath: ".allowedPeers",
      reason: "FieldValueForbidden",
    },
    {
      rule: "self.preset != 'deny-egress' || !has(self.ports) || size(self.ports) == 0",
      message: MESSAGES.denyEgressHasNoIngressPorts,
      fieldPath: ".ports",
      reason: "FieldValueForbidden",
    },
    {
      rule: `self.preset in ${EGRESS_PRESETS} || !has(self.egress) || size(self.egress) == 0`,
      message: MESSAGES.egressNeedsEgressPreset,
      fieldPath: ".egress",
      reason: "FieldValueForbidden",
    },
  ],
  namespaces: [
    {
      rule: "(has(self.names) && size(self.names) > 0) || has(self.selector)",
      message: MESSAGES.emptySelection,
      reason: "FieldValueRequired",
    },
  ],
  peer: [
    {
      rule: "has(self.ipBlock) || has(self.podSelector) || has(self.namespaceSelector)",
      message: MESSAGES.peerNeedsAField,
      reason: "FieldValueRequired",
    },
    {
      rule: "!has(self.ipBlock) || (!has(self.podSelector) && !has(self.namespaceSelector))",
      message: MESSAGES.ipBlockAlone,
      fieldPath: ".ipBlock",
      reason: "FieldValueForbidden",
    },
  ],
  /** On the ipBlock object: every except lies strictly inside cidr. */
  ipBlock: [
    {
      rule:
        "!isCIDR(self.cidr) || !has(self.except) || self.except.all(e, !isCIDR(e) || " +
        "(cidr(self.cidr).containsCIDR(e) && cidr(e).prefixLength() > cidr(self.cidr).prefixLength()))",
      messageExpression:
        "self.except.filter(e, isCIDR(e) && !(cidr(self.cidr).containsCIDR(e) && " +
        "cidr(e).prefixLength() > cidr(self.cidr).prefixLength()))[0] + ' is not inside ' + self.cidr",
      fieldPath: ".except",
    },
  ],
  /** On every CIDR string (ipBlock.cidr and each except). */
  cidr: [
    { rule: "isCIDR(self)", message: MESSAGES.notACidr },
    {
      rule: "!isCIDR(self) || cidr(self) == cidr(self).masked()",
      // The API server names the CIDR; parseProfile also suggests the network address.
      messageExpression: "self + ' has host bits set'",
    },
  ],
  requirement: [
    {
      rule: "!(self.operator in ['In', 'NotIn']) || (has(self.values) && size(self.values) > 0)",
      message: MESSAGES.valuesRequired,
      fieldPath: ".values",
      reason: "FieldValueRequired",
    },
    {
      rule: "!(self.operator in ['Exists', 'DoesNotExist']) || !has(self.values) || size(self.values) == 0",
      message: MESSAGES.valuesForbidden,
      fieldPath: ".values",
      reason: "FieldValueForbidden",
    },
  ],
  matchLabels: [{ rule: `self.all(k, k.matches(r'${PATTERNS.labelKey}'))`, message: MESSAGES.labelKeys }],
  /** On the int-or-string port itself. */
  port: [
    { rule: "type(self) != int || (self >= 1 && self <= 65535)", message: MESSAGES.portRange },
    {
      rule: `type(self) != string || (size(self) <= ${String(PORT_NAME_MAX_LENGTH)} && self.matches(r'${PATTERNS.portName}') && self.matches('[a-z]'))`,
      message: MESSAGES.portName,
    },
  ],
  /** On the NetworkPolicyPort object. */
  networkPolicyPort: [
    {
      rule: "!has(self.endPort) || (has(self.port) && type(self.port) == int)",
      message: MESSAGES.endPortNeedsNumber,
      fieldPath: ".endPort",
    },
    {
      rule: "!has(self.endPort) || !has(self.port) || type(self.port) != int || self.endPort >= self.port",
      message: MESSAGES.endPortBelowPort,
      fieldPath: ".endPort",
    },
  ],
} as const satisfies Record<string, readonly Rule[]>;
