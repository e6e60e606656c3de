import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { UnshippedEntry } from '../log-store/log-store';
import type { ShippingIndexes } from './log-shipping.documents';
import { encodeBatch, type EncodedBatch } from './log-shipping.encode';

/** What the worker is sent, and what it answers. */
export interface EncodeRequest {
  id: number;
  items: readonly UnshippedEntry[];
  indexes: ShippingIndexes;
}
export type EncodeReply = { id: number; batch: EncodedBatch } | { id: number; error: string };

/**
 * Turns a batch of the queue into documents and their Bulk-API lines (encodeBatch). The service does it in a worker
 * thread of its own process (WorkerBatchEncoder), so that a shipping run never holds the event loop that answers
 * requests and flushes the request log; InThreadBatchEncoder does the same work in the calling thread, for the unit
 * tests of the shipping run.
 */
export abstract class BatchEncoder {
  abstract encode(items: readonly UnshippedEntry[], indexes: ShippingIndexes): Promise<EncodedBatch>;
}

export class InThreadBatchEncoder extends BatchEncoder {
  encode(items: readonly UnshippedEntry[], indexes: ShippingIndexes): Promise<EncodedBatch> {
    return Promise.resolve(encodeBatch(items, indexes));
  }
}

/**
 * One worker thread, started at the first batch and kept; requests are answered in order. A worker that dies fails
 * the batches it held (the run retries them) and is started again for the next. Built (dist/) the worker is
 * JavaScript; run from the TypeScript sources (tests, `ts-node`), it is compiled as it loads.
 */
@Injectable()
export class WorkerBatchEncoder extends BatchEncoder implements OnModuleDestroy {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (b: EncodedBatch) => void; reject: (e: Error) => void }
  >();

  encode(items: readonly UnshippedEntry[], indexes: ShippingIndexes): Promise<EncodedBatch> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise<EncodedBatch>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, items, indexes } satisfies EncodeRequest);
    });
  }

  async onModuleDestroy(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    await worker?.terminate();
  }

  private start(): Worker {
    const typescript = __filename.endsWith('.ts');
    const worker = new Worker(join(__dirname, `batch-encoder.worker.${typescript ? 'ts' : 'js'}`), {
      execArgv: typescript ? ['--require', 'ts-node/register/transpile-only'] : [],
    });
    worker.unref();
    worker.on('message', (reply: EncodeReply) => {
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if ('batch' in reply) {
        waiting?.resolve(reply.batch);
      } else {
        waiting?.reject(new Error(`encoding the batch failed: ${reply.error}`));
      }
    });
    const fail = (error: Error): void => {
      if (this.worker === worker) {
        this.worker = null;
      }
      for (const { reject } of this.pending.values()) {
        reject(error);
      }
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the shipping worker exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }
}
