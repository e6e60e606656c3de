import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { predictionEntry } from '../../test/support/log-shipping/entries';
import { MockCluster } from '../../test/support/log-shipping/mock-cluster';
import {
  describeShippingScenarios,
  FakeClock,
  INDEXES,
} from '../../test/support/log-shipping/shipping-scenarios';
import { AppConfig } from '../config/app-config';
import { validateEnv } from '../config/env.schema';
import type { LogEntry } from '../request-log/log-entry';
import { MemoryLogStore } from '../request-log/memory-log-store';
import { ElasticsearchLogSink } from './elasticsearch-log-sink';
import { LogShippingService, MAX_RETRY_DELAY_MS, retryDelayMs } from './log-shipping.service';
import { indexTemplates } from './log-shipping.templates';
import { NdjsonLogSink } from './ndjson-log-sink';

describeShippingScenarios('the in-process store', () => {
  const store = new MemoryLogStore({ viewMaxSize: 1000, bufferMax: 100_000 });
  return Promise.resolve({ store, reopen: () => Promise.resolve(store), close: () => Promise.resolve() });
});

describe(LogShippingService.name, () => {
  const config = (env: Record<string, string> = {}) => new AppConfig(validateEnv(env));

  it('dead-letters an entry that cannot be turned into documents instead of retrying it forever', async () => {
    const store = new MemoryLogStore({ viewMaxSize: 1000, bufferMax: 100_000 });
    const cluster = new MockCluster();
    const corrupt = {
      id: 'corrupt-1',
      timestamp: '2025-03-14T09:00:00Z',
      level: 'INFO',
      message: 'x',
    } as LogEntry;
    await store.append([corrupt, predictionEntry()]);
    const sink = new ElasticsearchLogSink(cluster.client(), indexTemplates(INDEXES), MockCluster.NODE);
    const report = await new LogShippingService(config(), store, sink, new FakeClock()).ship();
    expect(report).toMatchObject({ outcome: 'shipped', entries_shipped: 2, dead_lettered: 1 });
    expect(cluster.docs(INDEXES.deadLetter).get(`${INDEXES.logs}:corrupt-1`)).toMatchObject({
      entry_id: 'corrupt-1',
      error: { type: 'invalid_entry' },
      document: { entry: { id: 'corrupt-1', message: 'x' } },
    });
  });

  it('ships to NDJSON files when no Elasticsearch is configured', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lungcheck-ship-'));
    try {
      const store = new MemoryLogStore({ viewMaxSize: 1000, bufferMax: 100_000 });
      await store.append([predictionEntry(), predictionEntry()]);
      const service = new LogShippingService(config(), store, new NdjsonLogSink(dir), new FakeClock());
      const report = await service.ship();
      expect(report).toMatchObject({ outcome: 'shipped', sink: 'ndjson', target: dir, entries_shipped: 2 });
      expect(report.documents).toEqual({
        [INDEXES.logs]: 2,
        [INDEXES.message]: 2,
        [INDEXES.perfs]: 2,
        [INDEXES.topFunc]: 10,
      });
      expect((await readdir(dir)).length).toBe(4);
      expect(await service.ship()).toMatchObject({ outcome: 'idle', entries_read: 0 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  describe(retryDelayMs.name, () => {
    it('doubles from the base up to the cap', () => {
      expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 10_000))).toEqual([10_000, 20_000, 40_000, 80_000]);
      expect(retryDelayMs(30, 10_000)).toBe(MAX_RETRY_DELAY_MS);
    });
  });
});
