/** The first few of a list and a count of the rest, for a bounded message. */

export interface FirstFewOptions {
  /** Between the items shown; default ", ". */
  separator?: string;
  /** Before the count of the rest; default " and ". */
  and?: string;
  /** What the rest are, singular ("peer" → "3 more peers"); default nothing ("3 more"). */
  noun?: string;
}

/** "a, b, c, d, e and 3 more"; with `{ separator: "; ", and: "; and ", noun: "peer" }`: "a; b; and 1 more peer". */
export function firstFew(items: readonly string[], shown = 5, options: FirstFewOptions = {}): string {
  const head = items.slice(0, shown).join(options.separator ?? ", ");
  const more = items.length - shown;
  if (more <= 0) return head;
  const noun = options.noun === undefined ? "" : ` ${options.noun}${more === 1 ? "" : "s"}`;
  return `${head}${options.and ?? " and "}${String(more)} more${noun}`;
}
