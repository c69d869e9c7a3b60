/**
 * Reads the cluster-scoped tier policies as the evaluator models them:
 * ClusterNetworkPolicy (policy.networking.k8s.io v1beta1 and v1alpha2, one
 * schema) and its predecessors AdminNetworkPolicy / BaselineAdminNetworkPolicy
 * (v1alpha1). Pure and tolerant: it never throws on cluster input. Whatever
 * it cannot read becomes a problem naming the object and the field
 * (`ClusterNetworkPolicy isolate-dev: spec.egress[1].to[0].networks[0]: …`),
 * and the part is marked so the evaluator can fail closed and say "possibly".
 */
import { hasHostBits, parseCidrStrict, type CidrRange } from "../k8s/cidr.js";
import { PROTOCOLS, SELECTOR_OPERATORS, type LabelSelector, type LabelSelectorRequirement, type PolicyType, type Protocol, type SelectorOperator } from "../k8s/objects.js";
import { isRecord } from "../lib/is-record.js";

export const TIER_GROUP = "policy.networking.k8s.io";
export const TIER_KINDS = ["ClusterNetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy"] as const;
export type TierKind = (typeof TIER_KINDS)[number];
export type TierName = "Admin" | "Baseline";
/** v1alpha1's `Allow` is read as `Accept`. */
export type TierAction = "Accept" | "Deny" | "Pass";

/** The apiVersions whose schema this reader knows, per kind. */
export const TIER_VERSIONS: Record<TierKind, readonly string[]> = {
  ClusterNetworkPolicy: [`${TIER_GROUP}/v1beta1`, `${TIER_GROUP}/v1alpha2`],
  AdminNetworkPolicy: [`${TIER_GROUP}/v1alpha1`],
  BaselineAdminNetworkPolicy: [`${TIER_GROUP}/v1alpha1`],
};

export function isTierObject(kind: string, apiVersion: string): kind is TierKind {
  return (TIER_KINDS as readonly string[]).includes(kind) && TIER_VERSIONS[kind as TierKind].includes(apiVersion);
}

/** Which pods a policy applies to, or which pods a peer names. */
export type TierSelection = { namespaces: LabelSelector } | { pods: { namespaceSelector: LabelSelector; podSelector: LabelSelector } };

export type TierPeer =
  | ({ kind: "selection" } & { selection: TierSelection })
  /** egress only: outside addresses and pod IPs in these blocks */
  | { kind: "networks"; networks: CidrRange[] };

/** One protocol/port entry. `start`/`end` absent: every port of the protocol. */
export type TierPort = { kind: "port"; protocol: Protocol; start?: number; end?: number } | { kind: "named"; name: string };

export interface TierRule {
  /** 0-based position in spec.ingress / spec.egress */
  index: number;
  direction: PolicyType;
  name?: string;
  /** undefined when the action could not be read */
  action: TierAction | undefined;
  /** the peers read (an unreadable one is left out and the rule is unreadable) */
  peers: TierPeer[];
  /** undefined: no protocols/ports, every protocol matches (ICMP included) */
  ports: TierPort[] | undefined;
  /** Problems in this rule; non-empty makes the evaluator fail closed on it. */
  problems: string[];
}

export interface TierPolicy {
  kind: TierKind;
  apiVersion: string;
  name: string;
  /** "ClusterNetworkPolicy/isolate-dev" */
  key: string;
  /** undefined when spec.tier could not be read */
  tier: TierName | undefined;
  /** BaselineAdminNetworkPolicy has none: 0. undefined when unreadable. */
  priority: number | undefined;
  /** undefined when spec.subject could not be read */
  subject: TierSelection | undefined;
  ingress: TierRule[];
  egress: TierRule[];
  /** Problems with tier, priority or subject: the policy cannot be placed. */
  problems: string[];
}

type Issues = string[];

const NAME_MAX = 100;
const MAX_RULES = 25;
const MAX_PEERS = 25;

function selector(value: unknown, where: string, issues: Issues): LabelSelector | undefined {
  if (!isRecord(value) || Array.isArray(value)) {
    issues.push(`${where}: expected a label selector object`);
    return undefined;
  }
  const out: { matchLabels?: Record<string, string>; matchExpressions?: LabelSelectorRequirement[] } = {};
  const before = issues.length;
  if (value.matchLabels !== undefined) {
    if (!isRecord(value.matchLabels) || Array.isArray(value.matchLabels)) issues.push(`${where}.matchLabels: expected a map of strings`);
    else {
      const labels: Record<string, string> = {};
      for (const [k, v] of Object.entries(value.matchLabels)) {
        if (typeof v === "string") labels[k] = v;
        else issues.push(`${where}.matchLabels.${k}: expected a string`);
      }
      out.matchLabels = labels;
    }
  }
  if (value.matchExpressions !== undefined) {
    if (!Array.isArray(value.matchExpressions)) issues.push(`${where}.matchExpressions: expected a list`);
    else {
      out.matchExpressions = [];
      value.matchExpressions.forEach((req: unknown, i) => {
        const at = `${where}.matchExpressions[${String(i)}]`;
        if (!isRecord(req) || typeof req.key !== "string" || req.key === "") return void issues.push(`${at}.key: expected a non-empty string`);
        if (typeof req.operator !== "string" || !(SELECTOR_OPERATORS as readonly string[]).includes(req.operator)) {
          return void issues.push(`${at}.operator: ${JSON.stringify(req.operator)} is not one of ${SELECTOR_OPERATORS.join(", ")}`);
        }
        const operator = req.operator as SelectorOperator;
        const values = Array.isArray(req.values) && req.values.every((v) => typeof v === "string") ? (req.values) : undefined;
        if (req.values !== undefined && values === undefined) return void issues.push(`${at}.values: expected a list of strings`);
        const count = values?.length ?? 0;
        if ((operator === "In" || operator === "NotIn") && count === 0) return void issues.push(`${at}.values: must be non-empty for operator ${operator}`);
        if ((operator === "Exists" || operator === "DoesNotExist") && count > 0) return void issues.push(`${at}.values: must be empty for operator ${operator}`);
        out.matchExpressions?.push({ key: req.key, operator, ...(values ? { values } : {}) });
      });
    }
  }
  return issues.length === before ? out : undefined;
}

/** `namespaces` or `pods` {namespaceSelector, podSelector}: exactly one. */
function selection(value: Record<string, unknown>, where: string, issues: Issues, allowed: readonly string[]): TierSelection | undefined {
  const set = Object.keys(value).filter((k) => value[k] !== undefined && value[k] !== null);
  if (set.length !== 1) {
    issues.push(`${where}: exactly one of ${allowed.join(", ")} must be set${set.length > 1 ? ` (got ${set.join(", ")})` : ""}`);
    return undefined;
  }
  const field = set[0] ?? "";
  if (field === "namespaces") {
    const ns = selector(value.namespaces, `${where}.namespaces`, issues);
    return ns && { namespaces: ns };
  }
  if (field === "pods") {
    const pods = value.pods;
    if (!isRecord(pods)) return void issues.push(`${where}.pods: expected {namespaceSelector, podSelector}`);
    if (pods.podSelector === undefined) return void issues.push(`${where}.pods.podSelector: required`);
    // namespaceSelector is optional in the schema and defaults to {} (every namespace).
    const namespaceSelector = pods.namespaceSelector === undefined ? {} : selector(pods.namespaceSelector, `${where}.pods.namespaceSelector`, issues);
    const podSelector = selector(pods.podSelector, `${where}.pods.podSelector`, issues);
    return namespaceSelector && podSelector ? { pods: { namespaceSelector, podSelector } } : undefined;
  }
  issues.push(`${where}.${field}: ${allowed.includes(field) ? "is not evaluated by netfence" : "unknown field"} (expected ${allowed.join(" or ")})`);
  return undefined;
}

function peer(value: unknown, direction: PolicyType, where: string, issues: Issues): TierPeer | undefined {
  if (!isRecord(value) || Array.isArray(value)) return void issues.push(`${where}: expected a peer object`);
  if (direction === "Egress" && value.networks !== undefined) {
    const others = Object.keys(value).filter((k) => k !== "networks" && value[k] !== undefined);
    if (others.length > 0) return void issues.push(`${where}: exactly one of namespaces, pods, networks must be set (got networks, ${others.join(", ")})`);
    if (!Array.isArray(value.networks) || value.networks.length === 0) return void issues.push(`${where}.networks: expected a non-empty list of CIDRs`);
    const networks: CidrRange[] = [];
    const before = issues.length;
    value.networks.forEach((text: unknown, i) => {
      const at = `${where}.networks[${String(i)}]`;
      if (typeof text !== "string") return void issues.push(`${at}: expected a CIDR string`);
      const parsed = parseCidrStrict(text);
      if (!parsed.ok) return void issues.push(`${at}: ${parsed.error}`);
      // The CRDs' CEL rule: cidr(self) == cidr(self).masked().
      if (hasHostBits(parsed.value)) return void issues.push(`${at}: ${text} is not canonical (the network is ${parsed.value.canonical})`);
      networks.push(parsed.value);
    });
    return issues.length === before ? { kind: "networks", networks } : undefined;
  }
  const allowed = direction === "Ingress" ? ["namespaces", "pods"] : ["namespaces", "pods", "networks"];
  // nodes and domainNames (experimental egress peers) name things outside the evaluator's model.
  const sel = selection(value, where, issues, allowed);
  return sel && { kind: "selection", selection: sel };
}

function portNumber(value: unknown, at: string, issues: Issues): number | undefined {
  if (typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 65535) return value;
  issues.push(`${at}: ${JSON.stringify(value)} is not a port (1-65535)`);
  return undefined;
}

function range(start: unknown, end: unknown, at: string, issues: Issues): { start: number; end: number } | undefined {
  const s = portNumber(start, `${at}.start`, issues);
  const e = portNumber(end, `${at}.end`, issues);
  if (s === undefined || e === undefined) return undefined;
  if (e < s) return void issues.push(`${at}.end: ${String(e)} is below start ${String(s)}`);
  return { start: s, end: e };
}

function namedPort(value: unknown, at: string, issues: Issues): TierPort | undefined {
  if (typeof value === "string" && value !== "") return { kind: "named", name: value };
  issues.push(`${at}: expected a container port name`);
  return undefined;
}

/** v1beta1/v1alpha2 `protocols[]`: each exactly one of tcp, udp, sctp, destinationNamedPort. */
function protocolEntry(value: unknown, at: string, issues: Issues): TierPort | undefined {
  if (!isRecord(value) || Array.isArray(value)) return void issues.push(`${at}: expected one of tcp, udp, sctp, destinationNamedPort`);
  const set = Object.keys(value).filter((k) => value[k] !== undefined);
  if (set.length !== 1) return void issues.push(`${at}: exactly one of tcp, udp, sctp, destinationNamedPort must be set`);
  const field = set[0] ?? "";
  if (field === "destinationNamedPort") return namedPort(value.destinationNamedPort, `${at}.destinationNamedPort`, issues);
  const protocol = ({ tcp: "TCP", udp: "UDP", sctp: "SCTP" } as Record<string, Protocol | undefined>)[field];
  if (protocol === undefined) return void issues.push(`${at}.${field}: unknown field (expected tcp, udp, sctp or destinationNamedPort)`);
  const body = value[field];
  if (!isRecord(body)) return void issues.push(`${at}.${field}: expected {destinationPort}`);
  if (body.destinationPort === undefined) return { kind: "port", protocol };
  const port = body.destinationPort;
  const where = `${at}.${field}.destinationPort`;
  if (!isRecord(port)) return void issues.push(`${where}: expected {number} or {range}`);
  if (port.number !== undefined && port.range !== undefined) return void issues.push(`${where}: exactly one of number, range must be set`);
  if (port.number !== undefined) {
    const n = portNumber(port.number, `${where}.number`, issues);
    return n === undefined ? undefined : { kind: "port", protocol, start: n, end: n };
  }
  if (isRecord(port.range)) {
    const r = range(port.range.start, port.range.end, `${where}.range`, issues);
    return r && { kind: "port", protocol, ...r };
  }
  return void issues.push(`${where}: exactly one of number, range must be set`);
}

function protocolOf(value: unknown, at: string, issues: Issues): Protocol | undefined {
  if (value === undefined) return "TCP";
  if (typeof value === "string" && (PROTOCOLS as readonly string[]).includes(value)) return value as Protocol;
  issues.push(`${at}: ${JSON.stringify(value)} is not one of ${PROTOCOLS.join(", ")}`);
  return undefined;
}

/** v1alpha1 `ports[]`: each exactly one of portNumber {protocol, port}, portRange {protocol, start, end}, namedPort. */
function portEntry(value: unknown, at: string, issues: Issues): TierPort | undefined {
  if (!isRecord(value) || Array.isArray(value)) return void issues.push(`${at}: expected one of portNumber, portRange, namedPort`);
  const set = Object.keys(value).filter((k) => value[k] !== undefined);
  if (set.length !== 1) return void issues.push(`${at}: exactly one of portNumber, portRange, namedPort must be set`);
  const field = set[0] ?? "";
  if (field === "namedPort") return namedPort(value.namedPort, `${at}.namedPort`, issues);
  const body = value[field];
  if (field !== "portNumber" && field !== "portRange") return void issues.push(`${at}.${field}: unknown field (expected portNumber, portRange or namedPort)`);
  if (!isRecord(body)) return void issues.push(`${at}.${field}: expected an object`);
  const protocol = protocolOf(body.protocol, `${at}.${field}.protocol`, issues);
  if (field === "portNumber") {
    const n = portNumber(body.port, `${at}.portNumber.port`, issues);
    return protocol && n !== undefined ? { kind: "port", protocol, start: n, end: n } : undefined;
  }
  const r = range(body.start, body.end, `${at}.portRange`, issues);
  return protocol && r ? { kind: "port", protocol, ...r } : undefined;
}

const ACTIONS: Record<"v1beta1" | "v1alpha1-admin" | "v1alpha1-baseline", Record<string, TierAction>> = {
  v1beta1: { Accept: "Accept", Deny: "Deny", Pass: "Pass" },
  "v1alpha1-admin": { Allow: "Accept", Deny: "Deny", Pass: "Pass" },
  "v1alpha1-baseline": { Allow: "Accept", Deny: "Deny" },
};

function rule(value: unknown, index: number, direction: PolicyType, where: string, dialect: keyof typeof ACTIONS): TierRule {
  const field = direction === "Ingress" ? "ingress" : "egress";
  const at = `${where}.${field}[${String(index)}]`;
  const problems: Issues = [];
  const out: TierRule = { index, direction, action: undefined, peers: [], ports: undefined, problems };
  if (!isRecord(value) || Array.isArray(value)) {
    problems.push(`${at}: expected a rule object`);
    return out;
  }
  if (value.name !== undefined) {
    if (typeof value.name !== "string") problems.push(`${at}.name: expected a string`);
    else {
      if (value.name.length > NAME_MAX) problems.push(`${at}.name: longer than ${String(NAME_MAX)} characters`);
      out.name = value.name;
    }
  }
  const actions = ACTIONS[dialect];
  const action = typeof value.action === "string" ? actions[value.action] : undefined;
  if (action === undefined) problems.push(`${at}.action: ${JSON.stringify(value.action)} is not one of ${Object.keys(actions).join(", ")}`);
  out.action = action;
  const peerField = direction === "Ingress" ? "from" : "to";
  const peers = value[peerField];
  if (!Array.isArray(peers) || peers.length === 0) problems.push(`${at}.${peerField}: expected a non-empty list of peers`);
  else {
    if (peers.length > MAX_PEERS) problems.push(`${at}.${peerField}: more than ${String(MAX_PEERS)} peers`);
    peers.forEach((p: unknown, i) => {
      const read = peer(p, direction, `${at}.${peerField}[${String(i)}]`, problems);
      if (read) out.peers.push(read);
    });
  }
  const portsField = dialect === "v1beta1" ? "protocols" : "ports";
  const ports = value[portsField];
  if (ports !== undefined) {
    if (!Array.isArray(ports) || ports.length === 0) problems.push(`${at}.${portsField}: expected a non-empty list`);
    else {
      out.ports = [];
      ports.forEach((p: unknown, i) => {
        const entryAt = `${at}.${portsField}[${String(i)}]`;
        const read = dialect === "v1beta1" ? protocolEntry(p, entryAt, problems) : portEntry(p, entryAt, problems);
        if (read) out.ports?.push(read);
      });
    }
  }
  const wrongPorts = dialect === "v1beta1" ? "ports" : "protocols";
  if (value[wrongPorts] !== undefined) problems.push(`${at}.${wrongPorts}: unknown field for this apiVersion (use ${portsField})`);
  return out;
}

function rules(value: unknown, direction: PolicyType, where: string, dialect: keyof typeof ACTIONS, problems: Issues): TierRule[] {
  const field = direction === "Ingress" ? "ingress" : "egress";
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    // The whole direction is unreadable: one fail-closed rule stands for it.
    const message = `${where}.${field}: expected a list of rules`;
    problems.push(message);
    return [{ index: 0, direction, action: undefined, peers: [], ports: undefined, problems: [message] }];
  }
  const out = value.map((r: unknown, i) => rule(r, i, direction, where, dialect));
  if (value.length > MAX_RULES) out[MAX_RULES]?.problems.push(`${where}.${field}: more than ${String(MAX_RULES)} rules`);
  return out;
}

/**
 * One tier policy from its wire form. Never throws: `problems` (placement) and
 * each rule's `problems` say what could not be read, naming the field.
 * Returns undefined for objects that are not tier policies at all.
 */
export function parseTierPolicy(obj: unknown): TierPolicy | undefined {
  if (!isRecord(obj)) return undefined;
  const kind = typeof obj.kind === "string" ? obj.kind : "";
  const apiVersion = typeof obj.apiVersion === "string" ? obj.apiVersion : "";
  if (!isTierObject(kind, apiVersion)) return undefined;
  const meta = isRecord(obj.metadata) ? obj.metadata : {};
  const name = typeof meta.name === "string" && meta.name !== "" ? meta.name : "<no name>";
  const key = `${kind}/${name}`;
  const where = `${kind} ${name}: spec`;
  const problems: Issues = [];
  if (name === "<no name>") problems.push(`${kind} ${name}: metadata.name: required`);
  const spec = isRecord(obj.spec) && !Array.isArray(obj.spec) ? obj.spec : undefined;
  const policy: TierPolicy = { kind, apiVersion, name, key, tier: undefined, priority: undefined, subject: undefined, ingress: [], egress: [], problems };
  if (!spec) {
    problems.push(`${where}: expected an object`);
    return policy;
  }
  const dialect = kind === "ClusterNetworkPolicy" ? "v1beta1" : kind === "AdminNetworkPolicy" ? "v1alpha1-admin" : "v1alpha1-baseline";
  if (kind === "ClusterNetworkPolicy") {
    if (spec.tier === "Admin" || spec.tier === "Baseline") policy.tier = spec.tier;
    else problems.push(`${where}.tier: ${JSON.stringify(spec.tier)} is not one of Admin, Baseline`);
  } else policy.tier = kind === "AdminNetworkPolicy" ? "Admin" : "Baseline";
  if (kind === "BaselineAdminNetworkPolicy") {
    policy.priority = 0;
    if (name !== "default") problems.push(`${kind} ${name}: metadata.name: a BaselineAdminNetworkPolicy must be named default (the API admits only that one)`);
  } else if (typeof spec.priority === "number" && Number.isInteger(spec.priority) && spec.priority >= 0 && spec.priority <= 1000) policy.priority = spec.priority;
  else problems.push(`${where}.priority: ${JSON.stringify(spec.priority)} is not an integer from 0 to 1000`);
  if (isRecord(spec.subject) && !Array.isArray(spec.subject)) policy.subject = selection(spec.subject, `${where}.subject`, problems, ["namespaces", "pods"]);
  else problems.push(`${where}.subject: expected exactly one of namespaces, pods`);
  policy.ingress = rules(spec.ingress, "Ingress", where, dialect, []);
  policy.egress = rules(spec.egress, "Egress", where, dialect, []);
  return policy;
}

/** Every problem of a policy, placement first, then each rule's. */
export function tierProblems(policy: TierPolicy): string[] {
  return [...policy.problems, ...policy.ingress.flatMap((r) => r.problems), ...policy.egress.flatMap((r) => r.problems)];
}
