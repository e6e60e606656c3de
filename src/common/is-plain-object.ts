/** A JSON object: not null, not an array (the shape of a request body, a card, a log entry's parts). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
