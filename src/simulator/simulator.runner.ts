import { setTimeout as sleep } from 'node:timers/promises';
import type { SurveyAnswers } from '../features/features';

/**
 * The concurrent sender: `users` workers share one request counter, so at most `users` requests are in flight and,
 * while enough remain, exactly that many. Each request is a JSON POST through Node's fetch with its own timeout.
 */

/** What became of a request: its HTTP status, or why there was none. */
export type RequestOutcome = number | 'timeout' | 'network error';

export interface RequestResult {
  /** Its rank in the run (0-based), which is also its patient's. */
  index: number;
  outcome: RequestOutcome;
  /** A 2xx answer; any other status, a timeout or a network error is a failure. */
  ok: boolean;
  /** From sending to the end of the answer's body (to the failure for timeouts and network errors). */
  latencyMs: number;
  /** For failures: the start of the answer's body, or the network error. */
  error?: string;
}

export interface RunnerOptions {
  /** Full URL each request is posted to (see targetUrl). */
  url: string;
  requests: number;
  users: number;
  delayMs: number;
  timeoutMs: number;
  /** Gives the patient of each request, in the order of the requests. */
  nextPatient: () => SurveyAnswers;
  /** Once aborted, no request is started; those in flight finish (each within its timeout). */
  stop?: AbortSignal;
  /** Called as each request ends, with the patient it sent. */
  onResult?: (result: RequestResult, patient: SurveyAnswers) => void;
}

export interface RunResult {
  /** In the order the requests ended. */
  results: RequestResult[];
  durationMs: number;
  /** Stopped before every request was sent. */
  interrupted: boolean;
}

/** Longest body excerpt kept for a failure. */
export const EXCERPT_LENGTH = 120;

export async function runSimulation(options: RunnerOptions): Promise<RunResult> {
  const results: RequestResult[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < options.requests && !options.stop?.aborted) {
      const index = next;
      next += 1;
      const patient = options.nextPatient();
      const result = await send(options, index, patient);
      results.push(result);
      options.onResult?.(result, patient);
      if (options.delayMs > 0 && next < options.requests) {
        await sleep(options.delayMs, undefined, { signal: options.stop }).catch(() => undefined);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.users, options.requests) }, worker));
  return {
    results,
    durationMs: performance.now() - started,
    interrupted: results.length < options.requests,
  };
}

async function send(options: RunnerOptions, index: number, patient: SurveyAnswers): Promise<RequestResult> {
  const started = performance.now();
  const elapsed = (): number => performance.now() - started;
  try {
    const response = await fetch(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(patient),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const body = await response.text();
    return response.ok
      ? { index, outcome: response.status, ok: true, latencyMs: elapsed() }
      : { index, outcome: response.status, ok: false, latencyMs: elapsed(), error: excerpt(body) };
  } catch (error) {
    const timedOut = errorFields(error).name === 'TimeoutError';
    return {
      index,
      outcome: timedOut ? 'timeout' : 'network error',
      ok: false,
      latencyMs: elapsed(),
      error: timedOut ? `no answer within ${options.timeoutMs / 1000} s` : networkError(error),
    };
  }
}

const excerpt = (body: string): string => {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > EXCERPT_LENGTH ? `${flat.slice(0, EXCERPT_LENGTH)}…` : flat;
};

/**
 * The fields of a thrown error, read without `instanceof`: fetch's errors come from Node's own realm, which is not
 * the caller's under Jest, so `instanceof Error` can be false for them.
 */
function errorFields(value: unknown): { name?: unknown; message?: unknown; code?: unknown; cause?: unknown } {
  return typeof value === 'object' && value !== null ? value : {};
}

/** fetch says only "fetch failed": the cause says why (ECONNREFUSED, ENOTFOUND, a reset socket). */
function networkError(error: unknown): string {
  const { message = String(error), cause } = errorFields(error);
  const { message: why, code } = errorFields(cause);
  if (typeof why !== 'string') {
    return String(message);
  }
  return `${String(message)}: ${typeof code === 'string' && !why.includes(code) ? `${code} ` : ''}${why}`;
}
