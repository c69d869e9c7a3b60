import type { LabelSelector, Labels } from "../k8s/objects.js";

/**
 * metav1.LabelSelector semantics (apimachinery LabelSelectorAsSelector):
 * an undefined selector matches nothing, `{}` matches everything, requirements
 * are ANDed, NotIn and DoesNotExist match when the key is absent.
 */
export function matchesSelector(selector: LabelSelector | undefined, labels: Labels | undefined): boolean {
  if (selector === undefined) return false;
  const l = labels ?? {};
  // for…in, not Object.entries: this runs for every pod and namespace of every pass.
  const want = selector.matchLabels;
  if (want) for (const key in want) if (l[key] !== want[key]) return false;
  for (const req of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, req.key);
    const value = l[req.key];
    switch (req.operator) {
      case "In":
        if (!has || !(req.values ?? []).includes(value ?? "")) return false;
        break;
      case "NotIn":
        if (has && (req.values ?? []).includes(value ?? "")) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** True for `{}` (or a selector whose lists are empty): it selects everything. */
export function isEmptySelector(selector: LabelSelector | undefined): boolean {
  return selector !== undefined && Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
}
