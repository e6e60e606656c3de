import { Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type Redis from 'ioredis';
import request from 'supertest';
import { ELASTICSEARCH_CLIENT } from '../../src/elasticsearch/elasticsearch.module';
import { EXAMPLE_REQUEST } from '../../src/prediction/predict-request.dto';
import { LogStore } from '../../src/log-store/log-store';
import { RedisLogStore } from '../../src/log-store/redis-log-store';
import { loggedEntries } from '../support/request-log/wait';
import { createTestApp, listen } from '../e2e/support/test-app';
import { BulkOp, MockCluster } from '../support/log-shipping/mock-cluster';
import { describeShippingScenarios, INDEXES } from '../support/log-shipping/shipping-scenarios';
import { REDIS_HOST, REDIS_PORT, testKeys, testRedis } from '../support/request-log/redis';

/** The shipping scenarios with the queue in this machine's Redis (a stream with a consumer group). */
const DB = 12;

describeShippingScenarios('RedisLogStore on the real Redis', async () => {
  const redis = await testRedis(DB);
  const keys = testKeys(redis, 'log-shipping');
  const options = {
    viewKey: `${keys.prefix}:view`,
    streamKey: `${keys.prefix}:stream`,
    viewMaxSize: 1000,
    bufferMax: 100_000,
  };
  const restarted: Redis[] = [];
  return {
    store: new RedisLogStore(redis, options),
    reopen: async () => {
      const client = await testRedis(DB);
      restarted.push(client);
      return new RedisLogStore(client, options);
    },
    close: async () => {
      await keys.cleanUp();
      await Promise.all([redis, ...restarted].map((c) => c.quit()));
    },
  };
});

describe('log shipping from POST /predict to the bulk body, through the real Redis', () => {
  let app: NestExpressApplication;
  let url: string;
  let redis: Redis;
  let keys: ReturnType<typeof testKeys>;
  const cluster = new MockCluster();
  const bulks: BulkOp[][] = [];

  beforeAll(async () => {
    Logger.overrideLogger(false);
    redis = await testRedis(DB);
    keys = testKeys(redis, 'log-shipping-http');
    app = await createTestApp({
      env: {
        REDIS_HOST,
        REDIS_PORT: String(REDIS_PORT),
        REDIS_DB: String(DB),
        REDIS_LOGS_KEY: `${keys.prefix}:view`,
        REDIS_LOG_STREAM_KEY: `${keys.prefix}:stream`,
        ES_URL: MockCluster.NODE,
        LOG_SHIP_INTERVAL_SECONDS: '0',
      },
      overrides: [{ provide: ELASTICSEARCH_CLIENT, useValue: cluster.client() }],
    });
    url = await listen(app);
    cluster.onBulk = (ops) => bulks.push(ops);
  });
  afterAll(async () => {
    await app?.close();
    await keys.cleanUp();
    await redis.quit();
  });

  it('indexes a prediction under its entry id with the canonical answers and the answered decision', async () => {
    const underscored = { ...EXAMPLE_REQUEST, CHEST_PAIN: '1', AGE: 65.0 } as Record<string, unknown>;
    delete underscored['CHEST PAIN'];
    const predicted = await request(url).post('/api/predict_proba').send(underscored).expect(200);
    const refused = await request(url)
      .post('/predict')
      .send({ ...EXAMPLE_REQUEST, AGE: 150 })
      .expect(422);
    await loggedEntries(app, 2);

    const report = await request(url).post('/logs/ship').send({}).expect(200);
    expect(report.body).toMatchObject({ outcome: 'shipped', entries_shipped: 2, sink: 'elasticsearch' });
    const ops = bulks.flat();
    const [message, ...otherMessages] = ops.filter((op) => op.index === INDEXES.message);
    expect(otherMessages).toEqual([]);
    const [entry] = await app
      .get(LogStore)
      .list({ limit: 1, offset: 0, path: '/predict_proba' })
      .then((r) => r.logs);
    expect(message).toEqual({
      index: INDEXES.message,
      id: entry!.id,
      source: {
        '@timestamp': entry!.timestamp,
        entry_id: entry!.id,
        transaction_id: predicted.headers['x-transaction-id'],
        http_path: '/predict_proba',
        status_code: 200,
        execution_time_ms: entry!.data.latency_ms,
        model: predicted.body.model,
        input_data: EXAMPLE_REQUEST,
        result: {
          prediction: predicted.body.prediction,
          probability: predicted.body.probabilities[1],
          risk_level: predicted.body.risk_level,
        },
        explanation: null,
        shadow: null,
      },
    });
    const logs = ops.filter((op) => op.index === INDEXES.logs);
    expect(logs.map((op) => op.source.transaction_id).sort()).toEqual(
      [predicted.headers['x-transaction-id'], refused.headers['x-transaction-id']].sort(),
    );
    const topFunctions = ops.filter(
      (op) => op.index === INDEXES.topFunc && op.id.startsWith(`${entry!.id}-`),
    );
    expect(topFunctions.map((op) => op.id)).toEqual(
      entry!.data.performance_metrics!.top_functions.map((_, i) => `${entry!.id}-${i + 1}`),
    );
    expect((await app.get(LogStore).queueStats()).pending).toBe(0);
  });
});
