/** The message of a caught value, for logs and reports (a thrown non-Error is shown as it is). */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
