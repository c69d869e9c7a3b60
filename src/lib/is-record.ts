/**
 * A non-null object whose fields are still unchecked: what JSON.parse, an API
 * response or a thrown value is before each field is read with its own test.
 * Arrays pass too (they are objects); check `Array.isArray` where it matters.
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
