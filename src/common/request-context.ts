import { AsyncLocalStorage } from 'node:async_hooks';

/** Time spent in one named stage of a request (see profiling/stage-timer.ts). */
export interface StageStat {
  calls: number;
  totalNs: bigint;
}

/**
 * What one HTTP request carries through its async calls: its transaction id, and what the profiler and the request
 * logger collect about it. Created by the request-context middleware, read anywhere via `currentRequest()`.
 */
export interface RequestContext {
  transactionId: string;
  /** process.hrtime.bigint() when the first byte arrived. */
  startNs: bigint;
  /** Stage timings, in first-seen order; filled only when performance monitoring is on. */
  stages: Map<string, StageStat>;
  /** `<name>@<version>` of the model that answered, set by the prediction service. */
  model?: string;
  /** The model run alone (onnxruntime `session.run`), set by the prediction service. */
  inferenceNs?: bigint;
}

export const requestContextStorage = new AsyncLocalStorage<RequestContext>();

export function currentRequest(): RequestContext | undefined {
  return requestContextStorage.getStore();
}
