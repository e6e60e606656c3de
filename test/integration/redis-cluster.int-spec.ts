import type { NestExpressApplication } from '@nestjs/platform-express';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { EXAMPLE_REQUEST } from '../../src/prediction/predict-request.dto';
import { CLUSTER_KEY_TAG, createRedisClient, type RedisClient } from '../../src/redis/redis-client.factory';
import { RedisLogStore } from '../../src/log-store/redis-log-store';
import { close, createTestApp, listen, ROOT } from '../e2e/support/test-app';
import { describeLogStoreContract } from '../support/request-log/log-store.contract';
import { startRedisCluster } from '../support/request-log/redis-server';
import { loggedEntries } from '../support/request-log/wait';
import { waitFor } from '../support/wait-for';

const run = promisify(execFile);

/** The log store and the service on a real three-master Redis Cluster started on loopback by the test. */
describe('a Redis Cluster', () => {
  let cluster: Awaited<ReturnType<typeof startRedisCluster>>;
  let client: RedisClient;
  let stores = 0;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    client = createRedisClient({ clusterNodes: cluster.nodes, host: '', port: 0, db: 0 });
    client.on('error', () => undefined);
    await waitFor('the cluster client to be ready', () => client.status === 'ready');
  });
  afterAll(async () => {
    client.disconnect();
    await cluster.stop();
  });

  describe(`${RedisLogStore.name} contract`, () => {
    describeLogStoreContract({
      create: (limits) => {
        stores += 1;
        return Promise.resolve(
          new RedisLogStore(client, {
            ...limits,
            viewKey: `${CLUSTER_KEY_TAG}contract-${stores}:view`,
            streamKey: `${CLUSTER_KEY_TAG}contract-${stores}:stream`,
          }),
        );
      },
    });
  });

  it("has npm run drift read the service's view under the cluster hash tag", async () => {
    // Entries written as the service writes them: under REDIS_CLUSTER_NODES its keys carry the tag.
    const view = `${CLUSTER_KEY_TAG}drift-cli:view`;
    const entry = (i: number): string =>
      JSON.stringify({
        id: `e${i}`,
        timestamp: new Date(Date.UTC(2026, 11, 1, 0, 0, i)).toISOString(),
        level: 'INFO',
        message: '',
        data: {
          transaction_id: `t${i}`,
          method: 'POST',
          path: '/predict',
          status_code: 200,
          latency_ms: 1,
          execution_time_ms: 1,
          input_data: { ...EXAMPLE_REQUEST, AGE: 88 },
          result: { prediction: 1, probability: 0.9 },
          model: null,
          performance_metrics: null,
        },
      });
    await client.lpush(view, ...Array.from({ length: 120 }, (_, i) => entry(i)));
    const dir = mkdtempSync(join(tmpdir(), 'lungcheck-cluster-drift-'));
    const { stdout } = await run(
      process.execPath,
      [
        '-r',
        'ts-node/register',
        'src/cli/drift.ts',
        '--source',
        'redis',
        '--json',
        join(dir, 'r.json'),
        '--out',
        join(dir, 'r.html'),
      ],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          TS_NODE_TRANSPILE_ONLY: 'true',
          REDIS_CLUSTER_NODES: cluster.nodes.map((n) => `${n.host}:${n.port}`).join(','),
          REDIS_LOGS_KEY: 'drift-cli:view',
        },
      },
    );
    const report = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as { window: { size: number } };
    expect(report.window.size).toBe(120);
    expect(stdout).toMatch(/AGE/);
  });

  it('serves and logs through it: REDIS_CLUSTER_NODES, every key in one slot', async () => {
    const app: NestExpressApplication = await createTestApp({
      env: {
        MODEL_POOL_SIZE: '1',
        REDIS_CLUSTER_NODES: cluster.nodes.map((n) => `${n.host}:${n.port}`).join(','),
        REDIS_LOGS_KEY: 'cluster-app:view',
        REDIS_LOG_STREAM_KEY: 'cluster-app:stream',
      },
    });
    try {
      const url = await listen(app);
      await waitFor(
        'the service to reach the cluster',
        async () => (await request(url).get('/health')).body.redis_connected,
      );
      const res = await request(url).post('/predict').send(EXAMPLE_REQUEST).expect(200);
      const [entry] = await loggedEntries(app, 1);
      expect(entry.data.transaction_id).toBe(res.headers['x-transaction-id']);
      expect(await client.xlen(`${CLUSTER_KEY_TAG}cluster-app:stream`)).toBe(1);
      expect(await client.llen(`${CLUSTER_KEY_TAG}cluster-app:view`)).toBe(1);
      const logs = await request(url).get('/logs').expect(200);
      expect(logs.body.total).toBe(1);
    } finally {
      await close(app);
    }
  });
});

/** A master lost: the service's writes fail (CLUSTERDOWN) while a PING to a surviving node still answers. */
describe('a Redis Cluster losing a master', () => {
  it('makes /health degraded, saying why, and predictions go on', async () => {
    const cluster = await startRedisCluster();
    const app: NestExpressApplication = await createTestApp({
      env: {
        MODEL_POOL_SIZE: '1',
        REDIS_CLUSTER_NODES: cluster.nodes.map((n) => `${n.host}:${n.port}`).join(','),
        REDIS_LOGS_KEY: 'cluster-outage:view',
        REDIS_LOG_STREAM_KEY: 'cluster-outage:stream',
      },
    });
    try {
      const url = await listen(app);
      await waitFor('the service to reach the cluster', async () =>
        (await request(url).get('/health')).body.status === 'healthy' ? true : undefined,
      );
      // The master of a slot that is not the service's: the whole cluster fails after the node timeout.
      const probe = createRedisClient({ clusterNodes: cluster.nodes, host: '', port: 0, db: 0 });
      probe.on('error', () => undefined);
      await waitFor('the probe client', () => probe.status === 'ready');
      const ours = Number(await probe.cluster('KEYSLOT', `${CLUSTER_KEY_TAG}x`));
      const slots = await probe.cluster('SLOTS');
      probe.disconnect();
      const other = slots.find(([from, to]) => ours < from || ours > to)!;
      await cluster.kill(other[2]![1]);
      const health = await waitFor(
        '/health to say degraded',
        async () => {
          const body = (await request(url).get('/health')).body;
          return body.status === 'degraded' ? body : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 200 },
      );
      expect(health.redis_connected).toBe(false);
      expect(health.reasons[0]).toMatch(/^Redis \(the Redis Cluster of .*\) does not take a write/);
      await request(url).post('/predict').send(EXAMPLE_REQUEST).expect(200);
    } finally {
      await close(app);
      await cluster.stop();
    }
  });
});
