/** The one type guard for "a plain JSON object" that parsers of untyped input share. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
