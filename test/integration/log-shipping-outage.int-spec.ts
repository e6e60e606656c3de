import { Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type Redis from 'ioredis';
import { ELASTICSEARCH_CLIENT } from '../../src/elasticsearch/elasticsearch.module';
import { ShippingClock } from '../../src/log-shipping/log-shipping.clock';
import { LogShippingService } from '../../src/log-shipping/log-shipping.service';
import { INPUT_FIELDS } from '../../src/features/features';
import { LogStore } from '../../src/log-store/log-store';
import { RequestLogService } from '../../src/request-log/request-log.service';
import { MockCluster } from '../support/log-shipping/mock-cluster';
import { FakeClock, INDEXES } from '../support/log-shipping/shipping-scenarios';
import { REDIS_HOST, REDIS_PORT, testKeys, testRedis } from '../support/request-log/redis';
import { createTestApp, listen } from '../e2e/support/test-app';

/**
 * Issue 5's "done when", end to end: 10 000 predictions over HTTP are logged to the real Redis by the request log,
 * and the shipping job (ticked every simulated 10 s) takes them to Elasticsearch (the mock cluster, driven by the
 * real client) through a two-minute outage in the middle, with 1 % of bulk items refused once with a 429 on top.
 * Every index must end with exactly the expected documents, none twice and none missing.
 */
const DB = 13;
const PREDICTIONS = 10_000;
const INVALID = 100;
const TICK_MS = 10_000;
/** Traffic spreads over 30 ticks (5 simulated minutes); Elasticsearch is down for 12 of them (2 minutes). */
const TRAFFIC_TICKS = 30;
const OUTAGE_TICKS = { from: 9, to: 21 };
const CONCURRENCY = 16;

/** A small seeded generator, so a failure can be replayed with the same answers. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

function answers(next: () => number): Record<string, number> {
  return Object.fromEntries(
    INPUT_FIELDS.map((f) => [f, f === 'AGE' ? 20 + Math.floor(next() * 71) : next() < 0.5 ? 0 : 1]),
  );
}

describe('log shipping: 10 000 predictions through a two-minute Elasticsearch outage', () => {
  let app: NestExpressApplication;
  let redis: Redis;
  let keys: ReturnType<typeof testKeys>;
  const cluster = new MockCluster();
  const clock = new FakeClock();

  beforeAll(async () => {
    Logger.overrideLogger(false);
    redis = await testRedis(DB);
    keys = testKeys(redis, 'log-shipping-outage');
    app = await createTestApp({
      env: {
        REDIS_HOST,
        REDIS_PORT: String(REDIS_PORT),
        REDIS_DB: String(DB),
        REDIS_LOGS_KEY: `${keys.prefix}:view`,
        REDIS_LOG_STREAM_KEY: `${keys.prefix}:stream`,
        // 10 000 requests from one address in well under a minute: above the default rate limit.
        RATE_LIMIT_PER_MINUTE: '0',
        ES_URL: MockCluster.NODE,
        // The test ticks the job itself, in simulated time.
        LOG_SHIP_INTERVAL_SECONDS: '0',
      },
      overrides: [
        { provide: ELASTICSEARCH_CLIENT, useValue: cluster.client() },
        { provide: ShippingClock, useValue: clock },
      ],
    });
    await listen(app);
  });

  afterAll(async () => {
    await app?.close();
    await keys.cleanUp();
    await redis.quit();
  });

  it('ends with every document in every index exactly once', async () => {
    const started = Date.now();
    const { port } = app.getHttpServer().address() as { port: number };
    const base = `http://127.0.0.1:${port}`;
    const shipping = app.get(LogShippingService);
    const store = app.get(LogStore);
    const recorder = app.get(RequestLogService);
    const next = random(42);

    // 1 % of bulk items are refused once with a 429, then accepted: partial batches on top of the outage.
    const refusedOnce = new Set<string>();
    let items = 0;
    cluster.failItem = (op) => {
      items += 1;
      const key = `${op.index}/${op.id}`;
      if (items % 100 === 0 && !refusedOnce.has(key)) {
        refusedOnce.add(key);
        return {
          status: 429,
          type: 'es_rejected_execution_exception',
          reason: 'rejected execution (queue full)',
        };
      }
      return undefined;
    };

    const transactionIds = new Set<string>();
    let sent = 0;
    let invalidSent = 0;
    const post = async (path: string, body: Record<string, unknown>, expected: number): Promise<void> => {
      const res = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      await res.arrayBuffer();
      expect(res.status).toBe(expected);
      if (expected === 200) {
        transactionIds.add(res.headers.get('x-transaction-id') ?? '');
      }
    };
    const traffic = async (count: number, invalid: number): Promise<void> => {
      const jobs = [
        ...Array.from(
          { length: count },
          (_, i) => () => post(i % 2 === 0 ? '/predict' : '/api/predict_proba', answers(next), 200),
        ),
        ...Array.from({ length: invalid }, () => () => post('/predict', { ...answers(next), AGE: 150 }, 422)),
      ];
      let cursor = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (cursor < jobs.length) {
            const job = jobs[cursor];
            cursor += 1;
            await job?.();
          }
        }),
      );
    };

    let attemptsDuringOutage = 0;
    let outageTicks = 0;
    for (let tick = 0; ; tick += 1) {
      if (tick < TRAFFIC_TICKS) {
        const count = Math.round((PREDICTIONS * (tick + 1)) / TRAFFIC_TICKS) - sent;
        const invalid = Math.round((INVALID * (tick + 1)) / TRAFFIC_TICKS) - invalidSent;
        await traffic(count, invalid);
        sent += count;
        invalidSent += invalid;
      }
      // The request log writes after responses end: let this tick's entries reach Redis before the job runs.
      await recorder.drain();
      cluster.down = tick >= OUTAGE_TICKS.from && tick < OUTAGE_TICKS.to;
      clock.advance(TICK_MS);
      const report = await shipping.shipScheduled();
      if (cluster.down) {
        outageTicks += 1;
        attemptsDuringOutage += report ? 1 : 0;
      }
      const pending = (await store.queueStats()).pending;
      const done =
        tick >= TRAFFIC_TICKS && pending === 0 && cluster.count(INDEXES.logs) === PREDICTIONS + INVALID;
      if (done || tick > TRAFFIC_TICKS + 100) {
        break;
      }
    }

    expect({ sent, invalidSent, transactionIds: transactionIds.size }).toEqual({
      sent: PREDICTIONS,
      invalidSent: INVALID,
      transactionIds: PREDICTIONS,
    });
    expect(await store.queueStats()).toMatchObject({ pending: 0, dropped: 0 });

    // Exactly once: documents are keyed by id, so equal counts plus equal id sets mean none missing, none twice.
    expect(cluster.count(INDEXES.logs)).toBe(PREDICTIONS + INVALID);
    expect(cluster.count(INDEXES.message)).toBe(PREDICTIONS);
    const messages = [...cluster.docs(INDEXES.message).values()];
    expect(new Set(messages.map((m) => m.transaction_id))).toEqual(transactionIds);
    expect(messages.every((m) => m.status_code === 200)).toBe(true);
    const perfs = [...cluster.docs(INDEXES.perfs).entries()];
    expect(perfs.length).toBe(PREDICTIONS);
    expect(perfs.every(([id]) => cluster.docs(INDEXES.logs).has(id))).toBe(true);
    const expectedTopFunctions = perfs.flatMap(([id, perf]) =>
      (perf.top_functions as { rank: number }[]).map((f) => `${id}-${f.rank}`),
    );
    // Each prediction has six timed stages; its five costliest are its top functions.
    expect(expectedTopFunctions.length).toBe(PREDICTIONS * 5);
    expect([...cluster.docs(INDEXES.topFunc).keys()].sort()).toEqual(expectedTopFunctions.sort());
    expect(cluster.count(INDEXES.deadLetter)).toBe(0);

    // The outage was real (every attempt failed) and backed off (fewer attempts than ticks).
    expect(refusedOnce.size).toBeGreaterThan(0);
    expect(attemptsDuringOutage).toBeGreaterThan(0);
    expect(attemptsDuringOutage).toBeLessThan(outageTicks);

    const seconds = (Date.now() - started) / 1000;
    process.stdout.write(
      `10 000 predictions + ${INVALID} refused, outage of ${outageTicks} ticks (${attemptsDuringOutage} attempts), ` +
        `${cluster.bulkRequests} bulk requests, ${refusedOnce.size} items refused once, documents ` +
        `${JSON.stringify(Object.fromEntries([...cluster.indices].map(([i, docs]) => [i, docs.size])))}: ` +
        `${seconds.toFixed(1)} s\n`,
    );
  }, 300_000);
});
