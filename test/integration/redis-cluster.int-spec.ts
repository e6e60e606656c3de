import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { EXAMPLE_REQUEST } from '../../src/prediction/predict-request.dto';
import { CLUSTER_KEY_TAG, createRedisClient, type RedisClient } from '../../src/redis/redis-client.factory';
import { RedisLogStore } from '../../src/log-store/redis-log-store';
import { close, createTestApp, listen } from '../e2e/support/test-app';
import { describeLogStoreContract } from '../support/request-log/log-store.contract';
import { startRedisCluster } from '../support/request-log/redis-server';
import { loggedEntries } from '../support/request-log/wait';
import { waitFor } from '../support/wait-for';

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
