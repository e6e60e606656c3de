import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage } from 'node:http';
import type { ShadowOutcome } from '../log-store/log-entry';

/** Time spent in one named stage of a request (see profiling/stage-timer.ts). */
export interface StageStat {
  calls: number;
  /** Wall time inside the stage, nested stages included. */
  totalNs: bigint;
  /** The part of totalNs spent in stages nested inside this one. */
  nestedNs: bigint;
}

/**
 * What one HTTP request carries through its async calls: its transaction id, and what the profiler and the request
 * logger collect about it. Created by the request-context middleware for every request, bound to the request
 * object (`requestContextOf`) and, from the routing stage on, to its async calls (`currentRequest`).
 */
export interface RequestContext {
  transactionId: string;
  /** process.hrtime.bigint() when the first byte arrived. */
  startNs: bigint;
  /** Stage timings, in first-seen order. */
  stages: Map<string, StageStat>;
  /** The innermost stage running now, to which a stage starting inside it is attributed. */
  openStage?: StageStat;
  /** `<name>@<version>` of the model that answered, set by the prediction service. */
  model?: string;
  /** Rows in the model run that answered (a micro-batch, or a batch request), set by the prediction service. */
  batchSize?: number;
  /**
   * The `result` of the request's log entry: set by the request log from what the handler returned or the error
   * body sent; a handler that writes its own response (a rendered page) sets it to say what it answered.
   */
  loggedResult?: unknown;
  /**
   * A batch request's rows, each logged as an entry of its own (under the request's transaction id) instead of one
   * entry for the request: the row's input and its result.
   */
  loggedRows?: { input: unknown; result: unknown }[];
  /**
   * Work to run once the response has ended and before the entry is built (the shadow model's run): it leaves its
   * facts here too (`shadow`).
   */
  afterResponse?: () => Promise<void>;
  /** The shadow model's answer for each logged row (one for a single prediction). */
  shadow?: ShadowOutcome[];
}

export const requestContextStorage = new AsyncLocalStorage<RequestContext>();

const byRequest = new WeakMap<IncomingMessage, RequestContext>();

export function currentRequest(): RequestContext | undefined {
  return requestContextStorage.getStore();
}

export function bindRequestContext(req: IncomingMessage, ctx: RequestContext): void {
  byRequest.set(req, ctx);
}

/** The request's context where AsyncLocalStorage has none (Express error handlers, code outside the request's calls). */
export function requestContextOf(req: IncomingMessage): RequestContext | undefined {
  return byRequest.get(req);
}
