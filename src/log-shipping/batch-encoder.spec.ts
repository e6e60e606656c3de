import { predictionEntry } from '../../test/support/log-shipping/entries';
import { storedEntry } from '../log-store/log-entry';
import { InThreadBatchEncoder, WorkerBatchEncoder } from './batch-encoder';
import type { ShippingIndexes } from './log-shipping.documents';

const INDEXES: ShippingIndexes = {
  logs: 'l',
  message: 'm',
  perfs: 'p',
  topFunc: 't',
  deadLetter: 'd',
  drift: 'r',
};

describe(WorkerBatchEncoder.name, () => {
  let encoder: WorkerBatchEncoder;
  beforeEach(() => {
    encoder = new WorkerBatchEncoder();
  });
  afterEach(() => encoder.onModuleDestroy());

  it('encodes in a worker thread exactly as in the calling thread, batch after batch in order', async () => {
    const batches = [1, 2, 3].map((n) =>
      Array.from({ length: n * 10 }, (_, i) => ({
        queueId: `${n}-${i}`,
        json: storedEntry(predictionEntry()).json,
        redelivered: i % 2 === 0,
      })),
    );
    const inThread = new InThreadBatchEncoder();
    const results = await Promise.all(batches.map((items) => encoder.encode(items, INDEXES)));
    for (const [i, items] of batches.entries()) {
      expect(results[i]).toEqual(await inThread.encode(items, INDEXES));
    }
  });

  it('fails the batches a dead worker held, and starts another for the next', async () => {
    const items = [{ queueId: '1', json: storedEntry(predictionEntry()).json, redelivered: false }];
    await encoder.encode(items, INDEXES);
    // A batch long to encode (about a second), so that the worker is still at it when it dies.
    const big = Array.from({ length: 50_000 }, (_, i) => ({ ...items[0]!, queueId: String(i) }));
    const held = encoder.encode(big, INDEXES);
    await encoder.onModuleDestroy();
    await expect(held).rejects.toThrow(/the shipping worker exited/);
    await expect(encoder.encode(items, INDEXES)).resolves.toMatchObject({ entryIds: [expect.any(String)] });
  });
});
