import { createPool, Pool } from 'generic-pool';
import { Tensor, type InferenceSession } from 'onnxruntime-node';
import { TemporarilyUnavailableException } from '../common/api-errors';
import { FEATURE_COUNT } from '../features/features';

/** One model's entry in GET /pool/stats (snake_case: the reference's field names). */
export interface PoolStats {
  pool_size: number;
  available: number;
  in_use: number;
  /** Predictions waiting for a free session. */
  pending: number;
  /** One per row predicted (a batch of n rows counts n). */
  total_predictions: number;
  avg_usage_per_instance: number;
  model_path: string;
}

export interface ModelSessionPoolOptions {
  /** Model name, for messages. */
  name: string;
  modelPath: string;
  size: number;
  acquireTimeoutMs: number;
  /** The graph's input and probabilities output (from the model card). */
  input: string;
  output: string;
  /** An already created and checked session: the pool's first. */
  firstSession: InferenceSession;
  createSession: () => Promise<InferenceSession>;
}

/** What one run gave: the class probabilities of each row, and how long it took. */
export interface ModelRun {
  /** `[p0, p1]` per row, row after row, as the model answered them. */
  probabilities: Float32Array;
  /** Waiting for a free session. */
  acquireNs: bigint;
  /** onnxruntime's run alone, from the moment it starts computing to its result. */
  runNs: bigint;
}

/** 503 + Retry-After when every session stayed busy for MODEL_ACQUIRE_TIMEOUT_MS. */
export class ModelPoolBusyException extends TemporarilyUnavailableException {}

const isTimeout = (error: unknown): boolean => error instanceof Error && error.name === 'TimeoutError';

/**
 * Builds a generic-pool pool of exactly `size` sessions. The sessions are created up front, so a failure shows now
 * (and stops start-up with its reason: if onnxruntime cannot make a second session, it is broken) rather than as
 * generic-pool's endless silent re-creation attempts later; the pool then lends them, each acquired once to prove it.
 */
async function buildGenericPool(options: ModelSessionPoolOptions): Promise<Pool<InferenceSession>> {
  const { size, firstSession, createSession, acquireTimeoutMs } = options;
  const created = await Promise.allSettled(Array.from({ length: size - 1 }, () => createSession()));
  const sessions = created.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failure = created.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) {
    await Promise.all(sessions.map((s) => s.release()));
    throw failure.reason;
  }
  const ready = [firstSession, ...sessions];
  const pool = createPool<InferenceSession>(
    {
      create: async () => ready.pop() ?? createSession(),
      destroy: (session) => session.release(),
    },
    { min: size, max: size, acquireTimeoutMillis: acquireTimeoutMs },
  );
  const lent = await Promise.all(Array.from({ length: size }, () => pool.acquire()));
  await Promise.all(lent.map((s) => pool.release(s)));
  return pool;
}

/**
 * One model's onnxruntime sessions, and the only place the service runs them: `predictProba` borrows a session
 * (waiting at most MODEL_ACQUIRE_TIMEOUT_MS), runs n rows of features in one call, and always gives it back.
 * onnxruntime-node computes on the main thread (its `run` defers itself to the event loop's next check phase, then
 * runs synchronously), so several sessions do not run in parallel: the pool bounds the runs in progress, and one run
 * of many rows (micro-batching, the batch endpoint) is what saves time.
 */
export class ModelSessionPool {
  private predictions = 0;

  private constructor(
    private readonly pool: Pool<InferenceSession>,
    private readonly options: ModelSessionPoolOptions,
  ) {}

  /** Builds the pool, or fails with the reason. */
  static async open(options: ModelSessionPoolOptions): Promise<ModelSessionPool> {
    return new ModelSessionPool(await buildGenericPool(options), options);
  }

  get size(): number {
    return this.options.size;
  }

  /**
   * The class probabilities of each of the `n` rows (row-major, FEATURE_COUNT each), from one run. The times are
   * returned rather than recorded: a run made for a micro-batch belongs to every request of the batch.
   */
  async predictProba(rows: Float32Array, n: number): Promise<ModelRun> {
    const acquiring = process.hrtime.bigint();
    const session = await this.pool.acquire().catch((error: unknown) => {
      throw isTimeout(error) ? this.busy() : error;
    });
    const acquireNs = process.hrtime.bigint() - acquiring;
    try {
      const run = await this.run(session, rows, n);
      this.predictions += n;
      return { ...run, acquireNs };
    } finally {
      await this.pool.release(session);
    }
  }

  stats(): PoolStats {
    const size = this.options.size;
    return {
      pool_size: size,
      available: this.pool.available,
      in_use: this.pool.borrowed,
      pending: this.pool.pending,
      total_predictions: this.predictions,
      avg_usage_per_instance: this.predictions / size,
      model_path: this.options.modelPath,
    };
  }

  /** Waits for borrowed sessions to come back, then releases every session. */
  async close(): Promise<void> {
    await this.pool.drain();
    await this.pool.clear();
  }

  private async run(
    session: InferenceSession,
    rows: Float32Array,
    n: number,
  ): Promise<Omit<ModelRun, 'acquireNs'>> {
    const { input, output } = this.options;
    const feeds = { [input]: new Tensor('float32', rows, [n, FEATURE_COUNT]) };
    // onnxruntime-node starts computing in a setImmediate callback queued by run(); this one, queued just before,
    // runs right before it, so the time counted is the computation and not the wait for the event loop.
    let startedAt = process.hrtime.bigint();
    setImmediate(() => {
      startedAt = process.hrtime.bigint();
    });
    const result = await session.run(feeds, [output]);
    const runNs = process.hrtime.bigint() - startedAt;
    return { probabilities: result[output].data as Float32Array, runNs };
  }

  private busy(): ModelPoolBusyException {
    const { name, acquireTimeoutMs, size } = this.options;
    return new ModelPoolBusyException(
      `Model "${name}" is busy: all ${size} sessions of its pool (pool size ${size}, MODEL_POOL_SIZE) stayed in use ` +
        `for ${acquireTimeoutMs} ms (MODEL_ACQUIRE_TIMEOUT_MS). Retry later.`,
      Math.min(30, Math.max(1, Math.ceil(acquireTimeoutMs / 1000))),
    );
  }
}
