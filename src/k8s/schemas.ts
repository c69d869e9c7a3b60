/**
 * zod schemas of the two Kubernetes shapes netfence validates in two places:
 * a LabelSelector and a NetworkPolicyPort. Their fields and the rules between
 * fields (In and NotIn need values, endPort needs a numeric port at or below
 * it) are written here once. The readers differ in what the Dialect says:
 * - the IsolationProfile contract (api/parse.ts) checks them as its CRD does:
 *   unknown fields rejected, bounded lists, label syntax, the CRD's messages;
 * - the evaluator's input (policy/reach-input.ts) reads NetworkPolicies as the
 *   API server stores them: unknown fields dropped, no bounds, its own messages.
 */
import { z } from "zod";
import { PROTOCOLS, SELECTOR_OPERATORS, type LabelSelector, type NetworkPolicyPort, type SelectorOperator } from "./objects.js";

interface Strictness {
  /** Unknown fields are an error (a CRD's structural schema), else dropped. */
  strict: boolean;
}

function object<S extends z.ZodRawShape>(dialect: Strictness, shape: S) {
  return dialect.strict ? z.strictObject(shape) : z.object(shape);
}

function custom(ctx: z.core.$RefinementCtx, path: PropertyKey[], message: string): void {
  ctx.addIssue({ code: "custom", path, message });
}

export interface SelectorDialect extends Strictness {
  matchLabels: z.ZodType<Record<string, string>>;
  /** A requirement's key and each of its values. */
  key: z.ZodType<string>;
  value: z.ZodType<string>;
  /** Bounds on matchExpressions and on a requirement's values; unbounded when absent. */
  maxExpressions?: number;
  maxValues?: number;
  /** In or NotIn without values. */
  valuesRequired(operator: SelectorOperator): string;
  /** Exists or DoesNotExist with values. */
  valuesForbidden(operator: SelectorOperator): string;
}

function bounded<T extends z.ZodType>(items: z.ZodArray<T>, max: number | undefined): z.ZodArray<T> {
  return max === undefined ? items : items.max(max);
}

export function labelSelectorSchema(dialect: SelectorDialect): z.ZodType<LabelSelector> {
  const requirement = object(dialect, {
    key: dialect.key,
    operator: z.enum(SELECTOR_OPERATORS),
    values: bounded(z.array(dialect.value), dialect.maxValues).optional(),
  }).superRefine((req, ctx) => {
    const count = req.values?.length ?? 0;
    if ((req.operator === "In" || req.operator === "NotIn") && count === 0) custom(ctx, ["values"], dialect.valuesRequired(req.operator));
    if ((req.operator === "Exists" || req.operator === "DoesNotExist") && count > 0) custom(ctx, ["values"], dialect.valuesForbidden(req.operator));
  });
  return object(dialect, {
    matchLabels: dialect.matchLabels.optional(),
    matchExpressions: bounded(z.array(requirement), dialect.maxExpressions).optional(),
  });
}

export interface PortDialect extends Strictness {
  /** The port itself: a number or a name, with the reader's own range and name checks. */
  port: z.ZodType<number | string>;
  /** endPort without a numeric port. */
  endPortNeedsNumber: string;
  /** endPort below the port. */
  endPortBelowPort(port: number): string;
}

export function networkPolicyPortSchema(dialect: PortDialect): z.ZodType<NetworkPolicyPort> {
  return object(dialect, {
    protocol: z.enum(PROTOCOLS).optional(),
    port: dialect.port.optional(),
    endPort: z.int().min(1).max(65535).optional(),
  }).superRefine((p, ctx) => {
    if (p.endPort === undefined) return;
    if (typeof p.port !== "number") custom(ctx, ["endPort"], dialect.endPortNeedsNumber);
    else if (p.endPort < p.port) custom(ctx, ["endPort"], dialect.endPortBelowPort(p.port));
  });
}
