import { Logger } from '@nestjs/common';
import type { EncodedDocs } from './log-shipping.encode';
import { InThreadBatchEncoder } from './batch-encoder';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { predictionEntry, validationErrorEntry } from '../../test/support/log-shipping/entries';
import { MockCluster } from '../../test/support/log-shipping/mock-cluster';
import { waitFor } from '../../test/support/wait-for';
import {
  describeShippingScenarios,
  FakeClock,
  INDEXES,
} from '../../test/support/log-shipping/shipping-scenarios';
import { AppConfig } from '../config/app-config';
import { validateEnv } from '../config/env.schema';
import type { LogEntry } from '../log-store/log-entry';
import { MemoryLogStore } from '../log-store/memory-log-store';
import { ElasticsearchLogSink } from './elasticsearch-log-sink';
import { MAX_BATCHES_PER_RUN } from './log-shipping.run';
import { LogShippingService, MAX_RETRY_DELAY_MS, retryDelayMs } from './log-shipping.service';
import { indexTemplates } from './log-shipping.templates';
import { LogSink, type WriteOutcome } from './log-sink';
import { NdjsonLogSink } from './ndjson-log-sink';
import { asStored } from '../../test/support/request-log/log-entries';

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
    await store.append(asStored([corrupt, predictionEntry()]));
    const sink = new ElasticsearchLogSink(cluster.client(), indexTemplates(INDEXES), MockCluster.NODE);
    const report = await new LogShippingService(
      config(),
      store,
      sink,
      new InThreadBatchEncoder(),
      new FakeClock(),
    ).ship();
    expect(report).toMatchObject({ outcome: 'shipped', entries_shipped: 2, dead_lettered: 1 });
    expect(cluster.docs(INDEXES.deadLetter).get(`${INDEXES.logs}:corrupt-1`)).toMatchObject({
      entry_id: 'corrupt-1',
      error: { type: 'invalid_entry' },
      document: { entry: { id: 'corrupt-1', message: 'x' } },
    });
  });

  it('reports a run that shipped all it read as shipped, without error, when reading on afterwards fails', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lungcheck-ship-'));
    try {
      const store = new MemoryLogStore({ viewMaxSize: 1000, bufferMax: 100_000 });
      await store.append(asStored([predictionEntry(), predictionEntry()]));
      const read = store.readUnshipped.bind(store);
      let reads = 0;
      // A full first batch (LOG_SHIP_BATCH_SIZE 2) is shipped; the read for a second one fails (Redis gone).
      store.readUnshipped = (count: number) =>
        (reads += 1) === 1 ? read(count) : Promise.reject(new Error('Connection is closed.'));
      const service = new LogShippingService(
        config({ LOG_SHIP_BATCH_SIZE: '2' }),
        store,
        new NdjsonLogSink(dir),
        new InThreadBatchEncoder(),
        new FakeClock(),
      );
      const report = await service.ship();
      expect(report).toMatchObject({ outcome: 'shipped', entries_shipped: 2, batches: 1 });
      expect(report).not.toHaveProperty('error');
      expect((await service.status()).last_error).toBeNull();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('ships to NDJSON files when no Elasticsearch is configured', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lungcheck-ship-'));
    try {
      const store = new MemoryLogStore({ viewMaxSize: 1000, bufferMax: 100_000 });
      await store.append(asStored([predictionEntry(), predictionEntry()]));
      const service = new LogShippingService(
        config(),
        store,
        new NdjsonLogSink(dir),
        new InThreadBatchEncoder(),
        new FakeClock(),
      );
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

  describe('over the mock cluster', () => {
    const DOWN = 'ConnectionError: connect ECONNREFUSED 10.0.0.1:9200 (mock cluster down)';
    let store: MemoryLogStore;
    let cluster: MockCluster;
    let clock: FakeClock;

    const newService = (env: Record<string, string> = {}, sink?: LogSink): LogShippingService => {
      const cfg = config({ ES_URL: MockCluster.NODE, LOG_SHIP_INTERVAL_SECONDS: '10', ...env });
      return new LogShippingService(
        cfg,
        store,
        sink ?? new ElasticsearchLogSink(cluster.client(), indexTemplates(INDEXES), MockCluster.NODE),
        new InThreadBatchEncoder(),
        clock,
      );
    };
    const corrupt = (id: unknown): LogEntry =>
      ({ id, timestamp: '2025-03-14T09:00:00Z' }) as unknown as LogEntry;
    const at = (ms: number): string => new Date(clock.now() + ms).toISOString();

    beforeAll(() => Logger.overrideLogger(false));
    beforeEach(() => {
      store = new MemoryLogStore({ viewMaxSize: 1000, bufferMax: 100_000 });
      cluster = new MockCluster();
      clock = new FakeClock();
    });
    afterEach(() => jest.restoreAllMocks());

    it('installs the index templates at start-up', async () => {
      newService().onApplicationBootstrap();
      await waitFor('the six templates', () => cluster.templates.size === 6);
      expect([...cluster.templates.keys()]).toContain(`lungcheck-${INDEXES.logs}`);
    });

    it('warns when the start-up installation fails, and installs the templates before the next bulk', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn');
      cluster.down = true;
      const service = newService();
      service.onApplicationBootstrap();
      await waitFor('the warning', () => warn.mock.calls.length > 0);
      expect(warn).toHaveBeenCalledWith(
        `Preparing elasticsearch (${MockCluster.NODE}) failed, retried before the next bulk: ` +
          `installing index templates failed: ${DOWN}`,
      );
      cluster.down = false;
      await store.append(asStored([validationErrorEntry()]));
      expect(await service.ship()).toMatchObject({ outcome: 'shipped', entries_shipped: 1 });
      expect(cluster.templates.size).toBe(6);
    });

    it('installs the templates once, not before every run', async () => {
      const service = newService();
      await store.append(asStored([validationErrorEntry()]));
      await service.ship();
      await store.append(asStored([validationErrorEntry()]));
      await service.ship();
      expect(cluster.templatePuts).toBe(6);
    });

    it('tells manual runs from scheduled ones', async () => {
      const service = newService();
      expect(await service.ship()).toMatchObject({ trigger: 'manual' });
      expect(await service.shipScheduled()).toMatchObject({ trigger: 'schedule' });
    });

    it('starts no scheduled run once the module is being destroyed', async () => {
      const service = newService();
      await store.append(asStored([validationErrorEntry()]));
      await service.onModuleDestroy();
      expect(await service.shipScheduled()).toBeNull();
      expect((await store.queueStats()).pending).toBe(1);
    });

    it('reports an idle run without batches, error or "shipped" log line', async () => {
      const log = jest.spyOn(Logger.prototype, 'log');
      const report = await newService().ship();
      expect(report).toMatchObject({ outcome: 'idle', batches: 0, entries_read: 0 });
      expect('error' in report).toBe(false);
      expect(log).not.toHaveBeenCalled();
    });

    it('has no error in the report of a shipped run', async () => {
      await store.append(asStored([validationErrorEntry()]));
      const report = await newService().ship();
      expect(report.outcome).toBe('shipped');
      expect('error' in report).toBe(false);
    });

    it('times the run with its clock', async () => {
      await store.append(asStored([validationErrorEntry()]));
      cluster.onBulk = () => clock.advance(1_500);
      const report = await newService().ship();
      expect(report).toMatchObject({
        started_at: '2025-03-14T10:00:00.000Z',
        finished_at: '2025-03-14T10:00:01.500Z',
        duration_ms: 1_500,
      });
    });

    it('logs what a shipped run stored', async () => {
      const log = jest.spyOn(Logger.prototype, 'log');
      await store.append(asStored([validationErrorEntry()]));
      await newService().ship();
      expect(log).toHaveBeenCalledWith(
        `Shipped 1 entries to elasticsearch (${MockCluster.NODE}): {"${INDEXES.logs}":1}`,
      );
    });

    it('stops after MAX_BATCHES_PER_RUN batches, leaving the rest for the next run', async () => {
      await store.append(
        asStored(Array.from({ length: MAX_BATCHES_PER_RUN + 1 }, () => validationErrorEntry())),
      );
      const report = await newService({ LOG_SHIP_BATCH_SIZE: '1' }).ship();
      expect(report).toMatchObject({ batches: MAX_BATCHES_PER_RUN, entries_shipped: MAX_BATCHES_PER_RUN });
      expect((await store.queueStats()).pending).toBe(1);
    });

    it('ends a run with a batch shorter than the batch size: entries logged meanwhile wait for the next run', async () => {
      await store.append(asStored([validationErrorEntry(), validationErrorEntry()]));
      cluster.onBulk = () => {
        cluster.onBulk = () => undefined;
        void store.append(asStored([validationErrorEntry()]));
      };
      const report = await newService({ LOG_SHIP_BATCH_SIZE: '3' }).ship();
      expect(report).toMatchObject({ outcome: 'shipped', batches: 1, entries_read: 2 });
      expect((await store.queueStats()).pending).toBe(1);
    });

    it('names the first document left for a retry in the report and in a warning', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn');
      const [ok, first, second] = [validationErrorEntry(), validationErrorEntry(), validationErrorEntry()];
      await store.append(asStored([ok!, first!, second!]));
      cluster.failItem = (op) =>
        op.id === first!.id || op.id === second!.id
          ? { status: 429, type: 'es_rejected_execution_exception', reason: 'queue full' }
          : undefined;
      const report = await newService().ship();
      const error = `${INDEXES.logs}/${first!.id}: es_rejected_execution_exception (429) queue full`;
      expect(report).toMatchObject({ outcome: 'partial', entries_shipped: 1, error });
      expect(cluster.docs(INDEXES.logs).has(ok!.id)).toBe(true);
      expect(warn).toHaveBeenCalledWith(`Shipped 1 entries; 2 left queued for the next run: ${error}`);
    });

    it('acknowledges nothing when nothing was stored', async () => {
      const ack = jest.spyOn(store, 'ack');
      await store.append(asStored([validationErrorEntry()]));
      cluster.failBulk = () => true;
      expect(await newService().ship()).toMatchObject({ outcome: 'failed', entries_retrying: 1 });
      expect(ack).not.toHaveBeenCalled();
    });

    it('warns when a run fails, saying what is left and when the schedule tries again', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn');
      const service = newService();
      cluster.down = true;
      await service.ship();
      expect(warn).toHaveBeenLastCalledWith(
        `Shipping failed (nothing read), next scheduled attempt after ${at(10_000)}: ` +
          `installing index templates failed: ${DOWN}`,
      );
      cluster.down = false;
      await store.append(asStored([validationErrorEntry(), validationErrorEntry()]));
      cluster.failBulk = () => true;
      await service.ship();
      expect(warn).toHaveBeenLastCalledWith(
        `Shipping failed (2 entries left queued), next scheduled attempt after ${at(20_000)}: ` +
          `bulk request failed: ${DOWN}`,
      );
    });

    it.each([
      ['30', 30_000],
      ['0', 10_000],
    ])(
      'with LOG_SHIP_INTERVAL_SECONDS=%s, backs off %i ms after a first failure',
      async (interval, delay) => {
        cluster.down = true;
        const service = newService({ LOG_SHIP_INTERVAL_SECONDS: interval });
        await service.ship();
        expect((await service.status()).next_attempt_at).toBe(at(delay));
      },
    );

    it('shows no next attempt once the backoff has elapsed', async () => {
      cluster.down = true;
      const service = newService();
      await service.ship();
      clock.advance(10_000);
      expect(await service.status()).toMatchObject({ consecutive_failures: 1, next_attempt_at: null });
    });

    it('reports a queue it cannot read as unknown figures', async () => {
      jest.spyOn(store, 'queueStats').mockRejectedValue(new Error('Redis down'));
      expect(await newService().status()).toMatchObject({
        pending: null,
        dropped: null,
        oldest_unshipped_age_seconds: null,
      });
    });

    it('reports the entries the queue dropped', async () => {
      await store.append(asStored([validationErrorEntry()]), 3);
      expect(await newService().status()).toMatchObject({ pending: 1, dropped: 3 });
    });

    it('counts dead-lettered documents in the report, the totals and the log line, with a warning each', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn');
      const log = jest.spyOn(Logger.prototype, 'log');
      await store.append(asStored([corrupt('corrupt-1')]));
      const service = newService();
      const report = await service.ship();
      expect(report).toMatchObject({ dead_lettered: 1, documents: { [INDEXES.deadLetter]: 1 } });
      expect(await service.status()).toMatchObject({ dead_lettered: 1, entries_shipped: 1 });
      const letter = cluster.docs(INDEXES.deadLetter).get(`${INDEXES.logs}:corrupt-1`);
      const { reason } = letter?.error as { reason: string };
      expect(warn).toHaveBeenCalledWith(
        `${INDEXES.logs}/corrupt-1 refused (invalid_entry): ${reason}; dead-lettered`,
      );
      expect(log).toHaveBeenCalledWith(
        `Shipped 1 entries to elasticsearch (${MockCluster.NODE}): {"${INDEXES.deadLetter}":1}, 1 dead-lettered`,
      );
    });

    it('keeps a refusal it could not dead-letter in the report and the error log', async () => {
      const logError = jest.spyOn(Logger.prototype, 'error');
      await store.append(asStored([corrupt('corrupt-2')]));
      cluster.failItem = (op) =>
        op.index === INDEXES.deadLetter
          ? { status: 503, type: 'cluster_block_exception', reason: 'read-only' }
          : undefined;
      const report = await newService().ship();
      const letter = `${INDEXES.logs}:corrupt-2`;
      expect(report).toMatchObject({
        outcome: 'failed',
        error: `dead-lettering ${letter} failed: cluster_block_exception: read-only`,
      });
      expect(logError).toHaveBeenCalledWith(
        `Dead-lettering ${letter} failed (cluster_block_exception: read-only); the entry stays queued`,
      );
    });

    it('dead-letters an entry without a usable id under its queue id', async () => {
      await store.append(asStored([null as unknown as LogEntry, corrupt(''), corrupt(7)]));
      const queueIds = (await store.readUnshipped(3)).map((q) => q.queueId);
      const report = await newService().ship();
      expect(report).toMatchObject({ outcome: 'shipped', entries_shipped: 3, dead_lettered: 3 });
      expect([...cluster.docs(INDEXES.deadLetter).keys()]).toEqual(
        queueIds.map((id) => `${INDEXES.logs}:${id}`),
      );
    });

    it('retries the documents a sink did not answer for', async () => {
      /** Stores nothing and confirms nothing, as a sink answering a short list of outcomes would. */
      class SilentSink extends LogSink {
        readonly kind = 'ndjson' as const;
        readonly target = 'nowhere';
        prepare(): Promise<void> {
          return Promise.resolve();
        }
        write({ docs }: EncodedDocs): Promise<WriteOutcome[]> {
          return Promise.resolve(docs.slice(1).map(() => ({ status: 'stored' as const })));
        }
      }
      const entry = validationErrorEntry();
      await store.append(asStored([entry]));
      const report = await newService({}, new SilentSink()).ship();
      expect(report).toMatchObject({
        outcome: 'failed',
        entries_retrying: 1,
        error: `${INDEXES.logs}/${entry.id}: missing_outcome (0) not confirmed`,
      });
    });
  });

  describe(retryDelayMs.name, () => {
    it('doubles from the base up to the cap', () => {
      expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 10_000))).toEqual([10_000, 20_000, 40_000, 80_000]);
      expect(retryDelayMs(30, 10_000)).toBe(MAX_RETRY_DELAY_MS);
    });
  });
});
