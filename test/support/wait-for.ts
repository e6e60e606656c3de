export interface WaitOptions {
  /** How long to wait in all; the error says what was awaited and what was last seen. */
  timeoutMs?: number;
  /** Pause between two probes. */
  intervalMs?: number;
}

/**
 * Polls `probe` until it returns something other than undefined, null or false, and returns that. Past the deadline
 * it fails with a message naming `what` it waited for and the last value seen, so a broken test stops with a reason
 * instead of polling until Jest's timeout (or forever, when Jest has already given up on the test).
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  { timeoutMs = 20_000, intervalMs = 5 }: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    last = await probe();
    if (last !== undefined && last !== null && last !== false) {
      return last as T;
    }
    if (Date.now() >= deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what} (last seen: ${String(last)})`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
