import { Logger } from '@nestjs/common';
import { InThreadBatchEncoder } from '../../../src/log-shipping/batch-encoder';
import { AppConfig } from '../../../src/config/app-config';
import { validateEnv } from '../../../src/config/env.schema';
import { ElasticsearchLogSink } from '../../../src/log-shipping/elasticsearch-log-sink';
import { ShippingClock } from '../../../src/log-shipping/log-shipping.clock';
import { LogShippingService } from '../../../src/log-shipping/log-shipping.service';
import { indexTemplates } from '../../../src/log-shipping/log-shipping.templates';
import type { LogEntry } from '../../../src/log-store/log-entry';
import type { LogStore } from '../../../src/log-store/log-store';
import { explainedEntry, explanation, predictionEntry, shadow, validationErrorEntry } from './entries';
import { MockCluster } from './mock-cluster';
import { asStored } from '../request-log/log-entries';

/** Simulated time: tests move it forward instead of waiting. */
export class FakeClock extends ShippingClock {
  private t = Date.parse('2025-03-14T10:00:00.000Z');

  override now(): number {
    return this.t;
  }

  advance(ms: number): void {
    this.t += ms;
  }
}

export interface StoreFixture {
  store: LogStore;
  /** A new store instance over the same data, as after a process restart. */
  reopen(): Promise<LogStore>;
  close(): Promise<void>;
}

export const INDEXES = {
  logs: 'ml-api-logs',
  message: 'ml-api-message',
  perfs: 'ml-api-perfs',
  topFunc: 'ml-api-top-func',
  deadLetter: 'ml-api-deadletter',
  drift: 'ml-api-drift',
};

/** What the four indexes should hold for these entries (every entry here is a profiled prediction or a 422). */
export function expectedCounts(entries: readonly LogEntry[]): Record<string, number> {
  const predictions = entries.filter((e) => e.data.status_code === 200);
  const profiled = entries.filter((e) => e.data.performance_metrics);
  return {
    [INDEXES.logs]: entries.length,
    [INDEXES.message]: predictions.length,
    [INDEXES.perfs]: profiled.length,
    [INDEXES.topFunc]: profiled.reduce(
      (n, e) => n + (e.data.performance_metrics?.top_functions.length ?? 0),
      0,
    ),
  };
}

export function clusterCounts(cluster: MockCluster): Record<string, number> {
  return Object.fromEntries(
    [INDEXES.logs, INDEXES.message, INDEXES.perfs, INDEXES.topFunc].map((i) => [i, cluster.count(i)]),
  );
}

/**
 * The shipping scenarios of issue 5, run against a LogStore adapter (the in-process one in unit tests, Redis in
 * integration tests) and the real Elasticsearch client driven by the mock cluster.
 */
export function describeShippingScenarios(storeName: string, openStore: () => Promise<StoreFixture>): void {
  describe(`${LogShippingService.name} over ${storeName}`, () => {
    let fixture: StoreFixture;
    let cluster: MockCluster;
    let clock: FakeClock;

    const newService = (
      store: LogStore = fixture.store,
      env: Record<string, string> = {},
    ): LogShippingService => {
      const config = new AppConfig(
        validateEnv({ ES_URL: MockCluster.NODE, LOG_SHIP_INTERVAL_SECONDS: '10', ...env }),
      );
      const sink = new ElasticsearchLogSink(
        cluster.client(),
        indexTemplates(config.shipping.indexes),
        MockCluster.NODE,
      );
      return new LogShippingService(config, store, sink, new InThreadBatchEncoder(), clock);
    };

    const append = async (entries: LogEntry[]): Promise<LogEntry[]> => {
      await fixture.store.append(asStored(entries));
      return entries;
    };
    const predictions = (n: number): LogEntry[] => Array.from({ length: n }, () => predictionEntry());

    // Failures are the point of most scenarios; their warnings would bury the test report.
    beforeAll(() => Logger.overrideLogger(false));
    beforeEach(async () => {
      fixture = await openStore();
      cluster = new MockCluster();
      clock = new FakeClock();
    });
    afterEach(async () => {
      await fixture.close();
    });

    it('ships each entry to its indexes under ids derived from the entry id, then acknowledges it', async () => {
      const entries = await append([...predictions(3), validationErrorEntry()]);
      const report = await newService().ship();
      expect(report).toMatchObject({
        outcome: 'shipped',
        sink: 'elasticsearch',
        entries_read: 4,
        entries_shipped: 4,
        entries_retrying: 0,
        dead_lettered: 0,
      });
      expect(report.documents).toEqual(expectedCounts(entries));
      expect(clusterCounts(cluster)).toEqual(expectedCounts(entries));
      expect([...cluster.docs(INDEXES.logs).keys()].sort()).toEqual(entries.map((e) => e.id).sort());
      const [first] = entries;
      expect(cluster.docs(INDEXES.topFunc).has(`${first!.id}-5`)).toBe(true);
      expect(cluster.docs(INDEXES.message).get(first!.id)).toMatchObject({
        transaction_id: first!.data.transaction_id,
      });
      expect((await fixture.store.queueStats()).pending).toBe(0);
      expect(await fixture.store.readUnshipped(10)).toEqual([]);
    });

    it("ships an explained prediction's strongest answers and the shadow model's answer to the message index", async () => {
      const [explained, dropped, plain] = await append([
        explainedEntry(),
        explainedEntry({ data: { shadow: { model: 'random_forest', status: 'dropped' } } }),
        predictionEntry(),
      ]);
      const report = await newService().ship();
      expect(report).toMatchObject({ outcome: 'shipped', entries_shipped: 3, dead_lettered: 0 });
      const messages = cluster.docs(INDEXES.message);
      expect(messages.get(explained!.id)).toMatchObject({ explanation: explanation(), shadow: shadow() });
      expect(messages.get(dropped!.id)?.shadow).toEqual({
        model: 'random_forest',
        status: 'dropped',
        prediction: null,
        probability: null,
        agrees: null,
      });
      expect(messages.get(plain!.id)).toMatchObject({ explanation: null, shadow: null });
    });

    it('installs the index templates before the first bulk, and ships nothing while it cannot', async () => {
      const entries = await append(predictions(2));
      cluster.down = true;
      const failed = await newService().ship();
      expect(failed).toMatchObject({ outcome: 'failed', entries_read: 0 });
      expect(failed.error).toMatch(/installing index templates failed/);
      expect((await fixture.store.queueStats()).pending).toBe(2);

      cluster.down = false;
      const service = newService();
      await service.ship();
      expect(cluster.templates.size).toBe(6);
      expect(clusterCounts(cluster)).toEqual(expectedCounts(entries));
    });

    it('leaves exactly the entries with a 429 or 503 item unacknowledged, and ships them on the next run', async () => {
      const entries = await append(predictions(6));
      const [, second, , fourth] = entries;
      cluster.failItem = (op) => {
        if (op.id === second!.id && op.index === INDEXES.message) {
          return {
            status: 429,
            type: 'es_rejected_execution_exception',
            reason: 'rejected execution (queue full)',
          };
        }
        if (op.id === `${fourth!.id}-3`) {
          return { status: 503, type: 'unavailable_shards_exception', reason: 'primary shard is not active' };
        }
        return undefined;
      };
      const service = newService();
      const first = await service.ship();
      expect(first).toMatchObject({
        outcome: 'partial',
        entries_read: 6,
        entries_shipped: 4,
        entries_retrying: 2,
      });
      const left = await fixture.store.readUnshipped(10);
      expect(left.map((q) => JSON.parse(q.json).id)).toEqual([second!.id, fourth!.id]);

      // Progress was made: no backoff, the next scheduled tick retries them.
      expect(await service.status()).toMatchObject({
        consecutive_failures: 0,
        next_attempt_at: null,
        pending: 2,
      });
      cluster.failItem = () => undefined;
      clock.advance(10_000);
      const retry = await service.shipScheduled();
      expect(retry).toMatchObject({ outcome: 'shipped', entries_read: 2, entries_shipped: 2 });
      expect(clusterCounts(cluster)).toEqual(expectedCounts(entries));
      expect((await fixture.store.queueStats()).pending).toBe(0);
    });

    it('dead-letters a document refused by the mapping, with the reason, and acknowledges its entry', async () => {
      const bad = predictionEntry();
      bad.data.performance_metrics!.top_functions[1]!.line = 'forty-one' as unknown as number;
      const entries = await append([predictionEntry(), bad]);
      const report = await newService().ship();
      expect(report).toMatchObject({ outcome: 'shipped', entries_shipped: 2, dead_lettered: 2 });
      // The perfs document (nested top functions) and the top function itself were refused; the rest is stored.
      expect(cluster.docs(INDEXES.logs).has(bad.id)).toBe(true);
      expect(cluster.docs(INDEXES.message).has(bad.id)).toBe(true);
      expect(cluster.docs(INDEXES.perfs).has(bad.id)).toBe(false);
      expect(cluster.docs(INDEXES.topFunc).has(`${bad.id}-2`)).toBe(false);
      expect(cluster.docs(INDEXES.topFunc).has(`${bad.id}-1`)).toBe(true);
      const letters = cluster.docs(INDEXES.deadLetter);
      expect([...letters.keys()].sort()).toEqual([
        `${INDEXES.perfs}:${bad.id}`,
        `${INDEXES.topFunc}:${bad.id}-2`,
      ]);
      expect(letters.get(`${INDEXES.topFunc}:${bad.id}-2`)).toMatchObject({
        entry_id: bad.id,
        transaction_id: bad.data.transaction_id,
        target_index: INDEXES.topFunc,
        document_id: `${bad.id}-2`,
        error: {
          status: 400,
          type: 'document_parsing_exception',
          reason: expect.stringContaining('[line]') as string,
        },
        document: { line: 'forty-one', rank: 2 },
      });
      expect((await fixture.store.queueStats()).pending).toBe(0);
      expect(cluster.count(INDEXES.logs)).toBe(entries.length);
    });

    it('keeps an entry queued while its refused document cannot be dead-lettered', async () => {
      const bad = predictionEntry({ timestamp: 'not a date' });
      await append([bad, predictionEntry()]);
      cluster.failItem = (op) =>
        op.index === INDEXES.deadLetter
          ? { status: 503, type: 'cluster_block_exception', reason: 'read-only' }
          : undefined;
      const service = newService();
      const report = await service.ship();
      expect(report).toMatchObject({
        outcome: 'partial',
        entries_shipped: 1,
        entries_retrying: 1,
        dead_lettered: 0,
      });
      expect((await fixture.store.readUnshipped(10)).map((q) => JSON.parse(q.json).id)).toEqual([bad.id]);

      cluster.failItem = () => undefined;
      const retry = await service.ship();
      // Its timestamp breaks every one of its documents: all of them are dead-lettered.
      const refused = Object.values(expectedCounts([bad])).reduce((a, b) => a + b, 0);
      expect(retry).toMatchObject({ outcome: 'shipped', entries_shipped: 1, dead_lettered: refused });
      expect(cluster.count(INDEXES.deadLetter)).toBe(refused);
    });

    it('acknowledges a refused entry only once it is dead-lettered: a dead-letter bulk that fails keeps it queued', async () => {
      const bad = predictionEntry();
      bad.data.performance_metrics!.top_functions[1]!.line = 'forty-one' as unknown as number;
      const good = predictionEntry();
      await append([bad, good]);
      cluster.failBulk = (ops) => ops.some((op) => op.index === INDEXES.deadLetter);
      const service = newService();
      const report = await service.ship();
      expect(report).toMatchObject({
        outcome: 'partial',
        entries_shipped: 1,
        entries_retrying: 1,
        dead_lettered: 0,
      });
      expect(report.error).toMatch(/^dead-lettering failed: /);
      expect((await fixture.store.readUnshipped(10)).map((q) => JSON.parse(q.json).id)).toEqual([bad.id]);

      cluster.failBulk = () => false;
      const retry = await service.ship();
      expect(retry).toMatchObject({ outcome: 'shipped', entries_shipped: 1, dead_lettered: 2 });
      expect([...cluster.docs(INDEXES.deadLetter).keys()].sort()).toEqual([
        `${INDEXES.perfs}:${bad.id}`,
        `${INDEXES.topFunc}:${bad.id}-2`,
      ]);
      expect((await fixture.store.queueStats()).pending).toBe(0);
    });

    it('stops a run at the first batch not fully shipped: what is left comes back first next time', async () => {
      const entries = await append(predictions(6));
      cluster.failItem = (op) =>
        op.id === entries[1]!.id && op.index === INDEXES.logs
          ? { status: 429, type: 'es_rejected_execution_exception', reason: 'queue full' }
          : undefined;
      const service = newService(fixture.store, { LOG_SHIP_BATCH_SIZE: '3' });
      const report = await service.ship();
      expect(report).toMatchObject({ outcome: 'partial', batches: 1, entries_read: 3, entries_shipped: 2 });
      expect(cluster.bulkRequests).toBe(1);
      cluster.failItem = () => undefined;
      expect(await service.ship()).toMatchObject({ outcome: 'shipped', entries_shipped: 4 });
      expect(clusterCounts(cluster)).toEqual(expectedCounts(entries));
    });

    it('loses and duplicates nothing through an outage lasting several runs', async () => {
      const service = newService();
      const all: LogEntry[] = [];
      all.push(...(await append(predictions(5))));
      await service.ship();
      cluster.down = true;
      for (let run = 0; run < 4; run += 1) {
        all.push(...(await append([...predictions(3), validationErrorEntry()])));
        clock.advance(10 * 60_000);
        expect(await service.shipScheduled()).toMatchObject({ outcome: 'failed', entries_shipped: 0 });
      }
      expect((await fixture.store.queueStats()).pending).toBe(16);
      cluster.down = false;
      clock.advance(10 * 60_000);
      expect(await service.shipScheduled()).toMatchObject({ outcome: 'shipped', entries_shipped: 16 });
      expect(clusterCounts(cluster)).toEqual(expectedCounts(all));
      expect(cluster.rewritten()).toEqual([]);
      expect((await fixture.store.queueStats()).pending).toBe(0);
    });

    it('loses and duplicates nothing while the cluster answers 503 for a while, then recovers', async () => {
      const service = newService();
      const all: LogEntry[] = [...(await append(predictions(4)))];
      await service.ship();
      cluster.unavailable = true;
      for (let run = 0; run < 3; run += 1) {
        all.push(...(await append([...predictions(2), validationErrorEntry()])));
        clock.advance(10 * 60_000);
        const report = await service.shipScheduled();
        expect(report).toMatchObject({ outcome: 'failed', entries_shipped: 0 });
        expect(report?.error).toMatch(/503|master_not_discovered/);
      }
      expect((await fixture.store.queueStats()).pending).toBe(9);
      cluster.unavailable = false;
      clock.advance(10 * 60_000);
      expect(await service.shipScheduled()).toMatchObject({ outcome: 'shipped', entries_shipped: 9 });
      expect(clusterCounts(cluster)).toEqual(expectedCounts(all));
      expect(cluster.rewritten()).toEqual([]);
      expect((await fixture.store.queueStats()).pending).toBe(0);
    });

    it('re-ships with the same ids after a restart between indexing and acknowledging', async () => {
      const entries = await append(predictions(3));
      jest.spyOn(fixture.store, 'ack').mockRejectedValueOnce(new Error('process killed before XACK'));
      const crashed = await newService().ship();
      expect(crashed).toMatchObject({ outcome: 'failed' });
      expect(clusterCounts(cluster)).toEqual(expectedCounts(entries));

      const restarted = newService(await fixture.reopen());
      const report = await restarted.ship();
      expect(report).toMatchObject({ outcome: 'shipped', entries_shipped: 3 });
      expect(clusterCounts(cluster)).toEqual(expectedCounts(entries));
      const logIds = entries.map((e) => `${INDEXES.logs}/${e.id}`);
      expect(
        cluster
          .rewritten()
          .filter((k) => k.startsWith(INDEXES.logs))
          .sort(),
      ).toEqual(logIds.sort());
      expect((await fixture.store.queueStats()).pending).toBe(0);
    });

    it('reads batches of LOG_SHIP_BATCH_SIZE until the queue is empty', async () => {
      const entries = await append(predictions(7));
      const report = await newService(fixture.store, { LOG_SHIP_BATCH_SIZE: '3' }).ship();
      expect(report).toMatchObject({ outcome: 'shipped', batches: 3, entries_shipped: 7 });
      expect(cluster.bulkRequests).toBe(3);
      expect(clusterCounts(cluster)).toEqual(expectedCounts(entries));
    });

    it('never runs twice at once: a call made during a run gets that run', async () => {
      await append(predictions(2));
      const service = newService();
      let release = (): void => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const read = fixture.store.readUnshipped.bind(fixture.store);
      jest.spyOn(fixture.store, 'readUnshipped').mockImplementation(async (n) => {
        await gate;
        return read(n);
      });
      const first = service.ship();
      const second = service.ship();
      expect(service.isRunning()).toBe(true);
      expect(await service.shipScheduled()).toBeNull();
      release();
      expect(await second).toBe(await first);
      expect(cluster.bulkRequests).toBe(1);
      expect(service.isRunning()).toBe(false);
    });

    it('backs off scheduled runs while shipping fails, and manual runs ignore the backoff', async () => {
      await append(predictions(1));
      const service = newService();
      cluster.down = true;
      const attempts: number[] = [];
      for (let s = 0; s <= 150; s += 10) {
        if (await service.shipScheduled()) {
          attempts.push(s);
        }
        clock.advance(10_000);
      }
      // 10 s interval: retry after 10, 20, 40, 80 s.
      expect(attempts).toEqual([0, 10, 30, 70, 150]);
      const status = await service.status();
      expect(status).toMatchObject({ consecutive_failures: 5, last_outcome: 'failed', pending: 1 });
      expect(status.next_attempt_at).not.toBeNull();

      cluster.down = false;
      expect(await service.shipScheduled()).toBeNull();
      expect(await service.ship()).toMatchObject({ outcome: 'shipped', entries_shipped: 1 });
      expect(await service.status()).toMatchObject({
        consecutive_failures: 0,
        next_attempt_at: null,
        last_error: null,
      });
    });

    it('reports pending entries, the age of the oldest, totals and the last run', async () => {
      await append([
        predictionEntry({ timestamp: new Date(clock.now() - 90_000).toISOString() }),
        predictionEntry(),
      ]);
      const service = newService();
      const before = await service.status();
      expect(before).toMatchObject({
        sink: 'elasticsearch',
        target: MockCluster.NODE,
        interval_seconds: 10,
        pending: 2,
        dropped: 0,
        last_run_at: null,
        runs: 0,
      });
      expect(before.oldest_unshipped_age_seconds).toBe(90);
      clock.advance(30_500);
      expect((await service.status()).oldest_unshipped_age_seconds).toBe(121);
      await service.ship();
      const after = await service.status();
      expect(after).toMatchObject({
        pending: 0,
        oldest_unshipped_age_seconds: null,
        last_outcome: 'shipped',
        entries_shipped: 2,
        runs: 1,
        running: false,
      });
      expect(after.last_success_at).toBe(after.last_run_at);
    });
  });
}
