import { FEATURE_COUNT } from '../features/features';
import type { ModelSessionPool } from './model-session-pool';

/** One request's answer from a micro-batch. */
export interface BatchedPrediction {
  p0: number;
  p1: number;
  /** Rows in the run that answered it (1 when it ran alone). */
  batchSize: number;
  /** From its arrival to the start of its batch's run (the queue wait). */
  waitNs: bigint;
  acquireNs: bigint;
  runNs: bigint;
}

interface Waiting {
  row: Float32Array;
  arrivedNs: bigint;
  resolve: (prediction: BatchedPrediction) => void;
  reject: (error: unknown) => void;
}

/**
 * Adaptive micro-batching (MICRO_BATCH_MAX_ROWS, MICRO_BATCH_MAX_WAIT_US): single predictions for one model that
 * arrive together run as one onnxruntime run. On an idle model a batch closes at the end of the current event-loop
 * turn, so a lone request waits for nothing else; while a run is in progress, the requests arriving meanwhile wait
 * for it to end and then run together, at most MICRO_BATCH_MAX_WAIT_US after the first of them arrived, and never
 * more than MICRO_BATCH_MAX_ROWS at once. Each caller gets its own row; if a batch's run fails, each of its rows is
 * run alone, so an error fails only its own request. With maxRows 0 or 1, every prediction runs alone at once.
 */
export class MicroBatcher {
  private waiting: Waiting[] = [];
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  /** Batches running now. */
  private running = 0;

  constructor(
    private readonly pool: ModelSessionPool,
    private readonly maxRows: number,
    private readonly maxWaitUs: number,
  ) {}

  /** The probabilities of one row of FEATURE_COUNT features. */
  predict(row: Float32Array): Promise<BatchedPrediction> {
    if (row.length !== FEATURE_COUNT) {
      // Copied into a batch, a short row would be padded with zeros and answered wrongly.
      return Promise.reject(new RangeError(`A row has ${FEATURE_COUNT} features, not ${row.length}`));
    }
    if (this.maxRows <= 1) {
      return this.alone(row, process.hrtime.bigint());
    }
    return new Promise<BatchedPrediction>((resolve, reject) => {
      this.waiting.push({ row, arrivedNs: process.hrtime.bigint(), resolve, reject });
      if (this.waiting.length >= this.maxRows) {
        this.flush();
      } else if (this.timer === null) {
        this.timer =
          this.running === 0
            ? setImmediate(() => this.flush())
            : setTimeout(() => this.flush(), Math.max(1, Math.round(this.maxWaitUs / 1000)));
      }
    });
  }

  private flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer as NodeJS.Timeout);
      clearImmediate(this.timer as NodeJS.Immediate);
      this.timer = null;
    }
    const batch = this.waiting.splice(0, this.maxRows);
    if (this.waiting.length > 0) {
      this.timer = setImmediate(() => this.flush());
    }
    this.running += 1;
    const done = (): void => {
      this.running -= 1;
      // What arrived during this run has waited for it: it goes now, together.
      if (this.waiting.length > 0 && this.timer !== null && this.running === 0) {
        this.flush();
      }
    };
    if (batch.length === 1) {
      const [only] = batch;
      this.alone(only.row, only.arrivedNs).then(only.resolve, only.reject).finally(done);
      return;
    }
    void this.runBatch(batch).finally(done);
  }

  private async runBatch(batch: Waiting[]): Promise<void> {
    const startedNs = process.hrtime.bigint();
    const rows = new Float32Array(batch.length * FEATURE_COUNT);
    batch.forEach((w, i) => rows.set(w.row, i * FEATURE_COUNT));
    try {
      const run = await this.pool.predictProba(rows, batch.length);
      batch.forEach((w, i) =>
        w.resolve({
          p0: run.probabilities[2 * i],
          p1: run.probabilities[2 * i + 1],
          batchSize: batch.length,
          waitNs: startedNs - w.arrivedNs,
          acquireNs: run.acquireNs,
          runNs: run.runNs,
        }),
      );
    } catch {
      for (const w of batch) {
        this.alone(w.row, w.arrivedNs).then(w.resolve, w.reject);
      }
    }
  }

  private async alone(row: Float32Array, arrivedNs: bigint): Promise<BatchedPrediction> {
    const startedNs = process.hrtime.bigint();
    const run = await this.pool.predictProba(row, 1);
    return {
      p0: run.probabilities[0],
      p1: run.probabilities[1],
      batchSize: 1,
      waitNs: startedNs - arrivedNs,
      acquireNs: run.acquireNs,
      runNs: run.runNs,
    };
  }
}
