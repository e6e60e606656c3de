import { Logger } from '@nestjs/common';
import { createPool, Pool } from 'generic-pool';
import type { InferenceSession } from 'onnxruntime-node';
import { TemporarilyUnavailableException } from '../common/api-errors';
import { timeStage } from '../profiling/stage-timer';

/** `pool`: MODEL_POOL_SIZE sessions in a generic-pool pool; `single`: the fallback, one shared session. */
export type PoolMode = 'pool' | 'single';

/** One model's entry in GET /pool/stats (snake_case: the reference's field names). */
export interface PoolStats {
  pool_size: number;
  available: number;
  in_use: number;
  /** Predictions waiting for a free session. */
  pending: number;
  /** One per prediction answered (not per model call). */
  total_predictions: number;
  avg_usage_per_instance: number;
  model_path: string;
  mode: PoolMode;
}

export interface ModelSessionPoolOptions {
  /** Model name, for messages. */
  name: string;
  modelPath: string;
  size: number;
  acquireTimeoutMs: number;
  /** An already created and checked session: the pool's first, or the only one if the pool cannot be built. */
  firstSession: InferenceSession;
  createSession: () => Promise<InferenceSession>;
  logger?: Logger;
}

/** 503 + Retry-After when every session stayed busy for MODEL_ACQUIRE_TIMEOUT_MS. */
export class ModelPoolBusyException extends TemporarilyUnavailableException {}

/** How sessions are lent out: the generic-pool pool, or the single shared session. */
interface SessionLender {
  readonly size: number;
  acquire(): Promise<InferenceSession>;
  release(session: InferenceSession): Promise<void>;
  counts(): { available: number; inUse: number; pending: number };
  close(): Promise<void>;
}

class GenericPoolLender implements SessionLender {
  constructor(
    private readonly pool: Pool<InferenceSession>,
    readonly size: number,
  ) {}

  acquire(): Promise<InferenceSession> {
    return this.pool.acquire();
  }

  release(session: InferenceSession): Promise<void> {
    return this.pool.release(session);
  }

  counts(): { available: number; inUse: number; pending: number } {
    return { available: this.pool.available, inUse: this.pool.borrowed, pending: this.pool.pending };
  }

  async close(): Promise<void> {
    await this.pool.drain();
    await this.pool.clear();
  }
}

/** onnxruntime sessions accept concurrent runs, so the fallback shares one session without queueing. */
class SingleSessionLender implements SessionLender {
  readonly size = 1;
  private inUse = 0;

  constructor(private readonly session: InferenceSession) {}

  acquire(): Promise<InferenceSession> {
    this.inUse += 1;
    return Promise.resolve(this.session);
  }

  release(): Promise<void> {
    this.inUse -= 1;
    return Promise.resolve();
  }

  counts(): { available: number; inUse: number; pending: number } {
    return { available: this.inUse > 0 ? 0 : 1, inUse: this.inUse, pending: 0 };
  }

  close(): Promise<void> {
    return this.session.release();
  }
}

const isTimeout = (error: unknown): boolean => error instanceof Error && error.name === 'TimeoutError';

/**
 * Builds a generic-pool pool of exactly `size` sessions. The sessions are created up front, so a failure shows now
 * (and the caller can fall back) rather than as generic-pool's endless silent re-creation attempts later; the pool
 * then lends them, and every one is acquired once to prove it does.
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
 * One model's sessions. Each prediction borrows a session for its model run (`use`), waiting at most
 * MODEL_ACQUIRE_TIMEOUT_MS, and always gives it back.
 */
export class ModelSessionPool {
  private predictions = 0;

  private constructor(
    private readonly lender: SessionLender,
    readonly mode: PoolMode,
    private readonly options: ModelSessionPoolOptions,
  ) {}

  /** Builds the pool, or falls back to `single` (logged, and shown in stats) when the pool cannot be built. */
  static async open(options: ModelSessionPoolOptions): Promise<ModelSessionPool> {
    const logger = options.logger ?? new Logger(ModelSessionPool.name);
    try {
      const pool = await buildGenericPool(options);
      return new ModelSessionPool(new GenericPoolLender(pool, options.size), 'pool', options);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      logger.warn(
        `Could not build a pool of ${options.size} sessions for model "${options.name}" (${reason}); ` +
          'falling back to a single shared session (mode "single" in /pool/stats)',
      );
      return new ModelSessionPool(new SingleSessionLender(options.firstSession), 'single', options);
    }
  }

  get size(): number {
    return this.lender.size;
  }

  /** Runs `fn` with a borrowed session; one call is one prediction, counted when it succeeds. */
  async use<T>(fn: (session: InferenceSession) => Promise<T>): Promise<T> {
    const session = await timeStage('pool_acquire', () => this.lender.acquire()).catch((error: unknown) => {
      throw isTimeout(error) ? this.busy() : error;
    });
    try {
      const result = await fn(session);
      this.predictions += 1;
      return result;
    } finally {
      await timeStage('pool_release', () => this.lender.release(session));
    }
  }

  stats(): PoolStats {
    const { available, inUse, pending } = this.lender.counts();
    return {
      pool_size: this.lender.size,
      available,
      in_use: inUse,
      pending,
      total_predictions: this.predictions,
      avg_usage_per_instance: this.predictions / this.lender.size,
      model_path: this.options.modelPath,
      mode: this.mode,
    };
  }

  /** Waits for borrowed sessions to come back, then releases every session. */
  close(): Promise<void> {
    return this.lender.close();
  }

  private busy(): ModelPoolBusyException {
    const { name, acquireTimeoutMs } = this.options;
    const size = this.lender.size;
    return new ModelPoolBusyException(
      `Model "${name}" is busy: all ${size} sessions of its pool (pool size ${size}, MODEL_POOL_SIZE) stayed in use ` +
        `for ${acquireTimeoutMs} ms (MODEL_ACQUIRE_TIMEOUT_MS). Retry later.`,
      Math.min(30, Math.max(1, Math.ceil(acquireTimeoutMs / 1000))),
    );
  }
}
