/**
 * parseProfile(): the CRD's validation (crd.ts) as a zod schema, so the CLI
 * and the controller report the same problems offline, then every default
 * applied. Messages follow the API server's wording.
 */
import { z } from "zod";
import { cidrWithin, hasHostBits, parseCidrStrict, type CidrRange } from "../k8s/cidr.js";
import type { NetworkPolicyPeer } from "../k8s/objects.js";
import { isPortName } from "../k8s/port-name.js";
import { labelSelectorSchema, networkPolicyPortSchema } from "../k8s/schemas.js";
import { API_VERSION, DELETION_POLICIES, ENFORCEMENTS, KIND, LIMITS, MODES, PRESETS, PRIORITY } from "./constants.js";
import { hostBitsMessage, MESSAGES, notInsideMessage, PATTERNS, patternMessage } from "./rules.js";
import type { IsolationProfileStatus, Issue, ParsedProfile } from "./types.js";

type Ctx = z.core.$RefinementCtx;

function fail(ctx: Ctx, path: PropertyKey[], message: string): void {
  ctx.addIssue({ code: "custom", path, message });
}

function patterned(pattern: string, maxLength: number): z.ZodString {
  return z.string().max(maxLength).regex(new RegExp(pattern), patternMessage(pattern));
}

const labelValue = patterned(PATTERNS.labelValue, LIMITS.labelValue);
const labelKey = patterned(PATTERNS.labelKey, LIMITS.labelKey);

const matchLabels = z.record(z.string(), labelValue).superRefine((labels, ctx) => {
  const keys = Object.keys(labels);
  if (keys.length > LIMITS.matchLabels) fail(ctx, [], `must have at most ${LIMITS.matchLabels} properties`);
  const keyPattern = new RegExp(PATTERNS.labelKey);
  for (const key of keys) if (!keyPattern.test(key)) fail(ctx, [key], MESSAGES.labelKeys);
});

const labelSelector = labelSelectorSchema({
  strict: true,
  matchLabels,
  key: labelKey,
  value: labelValue,
  maxExpressions: LIMITS.matchExpressions,
  maxValues: LIMITS.selectorValues,
  valuesRequired: () => MESSAGES.valuesRequired,
  valuesForbidden: () => MESSAGES.valuesForbidden,
});

/** The block as CEL isCIDR() reads it; undefined when it says false. */
function celCidr(text: string): CidrRange | undefined {
  const parsed = parseCidrStrict(text);
  return parsed.ok ? parsed.value : undefined;
}

function checkCidr(text: string, ctx: Ctx, path: PropertyKey[]): void {
  const parsed = celCidr(text);
  if (!parsed) return fail(ctx, path, MESSAGES.notACidr);
  if (hasHostBits(parsed)) fail(ctx, path, hostBitsMessage(text, parsed.canonical));
}

const ipBlock = z
  .strictObject({
    cidr: z.string().max(LIMITS.cidr),
    except: z.array(z.string().max(LIMITS.cidr)).max(LIMITS.except).optional(),
  })
  .superRefine((block, ctx) => {
    checkCidr(block.cidr, ctx, ["cidr"]);
    const outer = celCidr(block.cidr);
    (block.except ?? []).forEach((text, i) => {
      checkCidr(text, ctx, ["except", i]);
      const inner = celCidr(text);
      if (outer && inner && !(cidrWithin(inner, outer) && inner.prefix > outer.prefix)) {
        fail(ctx, ["except", i], notInsideMessage(text, block.cidr));
      }
    });
  });

const peer: z.ZodType<NetworkPolicyPeer> = z
  .strictObject({ podSelector: labelSelector.optional(), namespaceSelector: labelSelector.optional(), ipBlock: ipBlock.optional() })
  .superRefine((p, ctx) => {
    const selectors = p.podSelector !== undefined || p.namespaceSelector !== undefined;
    if (p.ipBlock === undefined && !selectors) fail(ctx, [], MESSAGES.peerNeedsAField);
    if (p.ipBlock !== undefined && selectors) fail(ctx, ["ipBlock"], MESSAGES.ipBlockAlone);
  });

const port = networkPolicyPortSchema({
  strict: true,
  port: z.union([z.int(), z.string()], { error: MESSAGES.portName }).superRefine((value, ctx) => {
    if (typeof value === "number") {
      if (value < 1 || value > 65535) fail(ctx, [], MESSAGES.portRange);
    } else if (!isPortName(value)) {
      fail(ctx, [], MESSAGES.portName);
    }
  }),
  endPortNeedsNumber: MESSAGES.endPortNeedsNumber,
  endPortBelowPort: () => MESSAGES.endPortBelowPort,
});

const namespacePattern = patterned(PATTERNS.namespacePattern, LIMITS.namespacePattern);

const namespaces = z
  .strictObject({
    names: z.array(namespacePattern).max(LIMITS.names).default([]),
    selector: labelSelector.optional(),
    exclude: z.array(namespacePattern).max(LIMITS.exclude).default([]),
    includeSystem: z.boolean().default(false),
  })
  .superRefine((sel, ctx) => {
    if (sel.names.length === 0 && sel.selector === undefined) fail(ctx, [], MESSAGES.emptySelection);
  });

const egressRule = z.strictObject({
  to: z.array(peer).max(LIMITS.peers).optional(),
  ports: z.array(port).max(LIMITS.ports).optional(),
});

const spec = z
  .strictObject({
    preset: z.enum(PRESETS),
    namespaces,
    podSelector: labelSelector.default({}),
    allowedPeers: z.array(peer).max(LIMITS.peers).default([]),
    ports: z.array(port).max(LIMITS.ports).default([]),
    egress: z.array(egressRule).max(LIMITS.egressRules).default([]),
    allowDNS: z.boolean().default(true),
    mode: z.enum(MODES).default("Enforce"),
    deletionPolicy: z.enum(DELETION_POLICIES).default("Delete"),
    enforcement: z.enum(ENFORCEMENTS).default("Auto"),
    priority: z.int().min(PRIORITY.min, MESSAGES.priorityMin).max(PRIORITY.max, MESSAGES.priorityMax).default(PRIORITY.default),
  })
  .superRefine((s, ctx) => {
    if (s.preset === "allow-by-label" && s.allowedPeers.length === 0) fail(ctx, ["allowedPeers"], MESSAGES.allowByLabelNeedsPeers);
    if (s.preset === "deny-egress" && s.allowedPeers.length > 0) fail(ctx, ["allowedPeers"], MESSAGES.denyEgressHasNoIngressPeers);
    if (s.preset === "deny-egress" && s.ports.length > 0) fail(ctx, ["ports"], MESSAGES.denyEgressHasNoIngressPorts);
    if (s.preset !== "deny-egress" && s.preset !== "deny-all" && s.egress.length > 0) fail(ctx, ["egress"], MESSAGES.egressNeedsEgressPreset);
  });

const DNS_SUBDOMAIN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

const metadata = z.looseObject({
  name: z.string().min(1, "Required value").max(253).regex(new RegExp(DNS_SUBDOMAIN), patternMessage(DNS_SUBDOMAIN)),
  uid: z.string().optional(),
  generation: z.number().optional(),
  resourceVersion: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  deletionTimestamp: z.string().optional(),
  creationTimestamp: z.string().optional(),
  finalizers: z.array(z.string()).optional(),
});

const profile = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal(KIND),
  metadata,
  spec,
  status: z.unknown().optional(),
});

/** `["spec", "allowedPeers", 1, "ipBlock"]` → `spec.allowedPeers[1].ipBlock`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => {
      if (typeof part === "number") return `[${String(part)}]`;
      const text = String(part);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(text)) return `[${JSON.stringify(text)}]`;
      return i === 0 ? text : `.${text}`;
    })
    .join("");
}

const TYPE_NAMES: Record<string, string> = { int: "integer", record: "object" };

function message(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return issue.input === undefined ? "Required value" : `must be of type ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    case "too_big":
      if (issue.origin === "array") return `must have at most ${String(issue.maximum)} items`;
      if (issue.origin === "string") return `may not be more than ${String(issue.maximum)} bytes`;
      return issue.message;
    case "too_small":
      if (issue.origin === "array") return `must have at least ${String(issue.minimum)} items`;
      return issue.message;
    case "invalid_value":
      if (issue.input === undefined) return "Required value";
      return `Unsupported value: ${JSON.stringify(issue.input)}: supported values: ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    default:
      return issue.message;
  }
}

function toIssues(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[] = []): Issue[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({ path: formatPath([...path, key]), message: "unknown field" }));
  }
  if (issue.code === "invalid_key" || issue.code === "invalid_element") {
    return issue.issues.flatMap((inner) => toIssues(inner, path));
  }
  return [{ path: formatPath(path), message: message(issue) }];
}

export type ParseResult = { ok: true; value: ParsedProfile } | { ok: false; issues: Issue[] };

/** Validates an IsolationProfile (any JSON value) and returns it with every default applied. */
export function parseProfile(obj: unknown): ParseResult {
  const result = profile.safeParse(obj, { reportInput: true });
  if (!result.success) return { ok: false, issues: result.error.issues.flatMap((i) => toIssues(i)) };
  const { status, ...rest } = result.data;
  const value: ParsedProfile = { ...rest, metadata: rest.metadata };
  // status is the controller's own output; it is carried, not validated.
  if (status !== undefined) value.status = status as IsolationProfileStatus;
  return { ok: true, value };
}

/** One `path: message` per line. */
export function formatIssues(issues: readonly Issue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join("\n");
}
