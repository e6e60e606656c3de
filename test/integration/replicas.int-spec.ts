import { Agent } from 'node:http';
import { HttpCluster } from '../support/log-shipping/http-cluster';
import { freePort, RedisServer, startRedisServer } from '../support/request-log/redis-server';
import { postPrediction } from '../support/post-prediction';
import { ServiceProcess, startService } from '../support/service-process';
import { waitFor } from '../support/wait-for';

const PREDICTIONS = 3000;
const REPLICAS = ['replica-1', 'replica-2', 'replica-3'];
const LOGS_INDEX = 'ml-api-logs';

const getJson = async (url: string): Promise<Record<string, unknown>> => (await fetch(url)).json() as never;

/**
 * Three service processes on one Redis and one Elasticsearch, as behind a load balancer: 3 000 predictions spread
 * over them; one replica is SIGKILLed while its bulk request hangs (the documents sent, the answer never received,
 * nothing acknowledged). The two others take over what it held: every entry ends in the cluster exactly once by id,
 * and apart from the dead replica's batch, each entry was shipped by one replica only.
 */
describe('several replicas on one Redis', () => {
  let redis: RedisServer;
  const cluster = new HttpCluster();
  const services = new Map<string, ServiceProcess>();

  afterAll(async () => {
    for (const service of services.values()) {
      service.child.kill('SIGKILL');
    }
    await cluster.stop();
    await redis?.stop();
  });

  it("ships every entry once, and a dead replica's batch is taken over", async () => {
    const redisPort = await freePort();
    redis = await startRedisServer(redisPort);
    await cluster.start();
    cluster.hanging.add('replica-1');
    for (const name of REPLICAS) {
      services.set(
        name,
        startService({
          HOSTNAME: name,
          REDIS_HOST: '127.0.0.1',
          REDIS_PORT: String(redisPort),
          ES_URL: cluster.nodeFor(name),
          LOG_SHIP_INTERVAL_SECONDS: '1',
          LOG_SHIP_BATCH_SIZE: '200',
          // Long enough that a replica slowed by a loaded machine is not taken for dead (its batch would then be
          // shipped twice: harmless by id, but not what this test counts).
          LOG_SHIP_CLAIM_IDLE_MS: '8000',
          RATE_LIMIT_PER_MINUTE: '0',
          MODEL_POOL_SIZE: '1',
        }),
      );
    }
    const urls = await Promise.all(REPLICAS.map((name) => services.get(name)!.url));

    // 3 000 predictions, round robin, 10 at a time per replica.
    const ids = Array.from({ length: PREDICTIONS }, (_, i) => `p-${i}`);
    const statuses = await Promise.all(
      urls.map(async (url, r) => {
        const agent = new Agent({ keepAlive: true, maxSockets: 10 });
        const mine = ids.filter((_, i) => i % REPLICAS.length === r);
        const got: number[] = [];
        await Promise.all(
          Array.from({ length: 10 }, async (_, worker) => {
            for (let i = worker; i < mine.length; i += 10) {
              got.push((await postPrediction(url, agent, mine[i])).status ?? 0);
            }
          }),
        );
        agent.destroy();
        return got;
      }),
    );
    expect(statuses.flat().filter((status) => status !== 200)).toEqual([]);
    // Every answered request's entry has reached Redis before anyone is killed.
    for (const url of urls) {
      await waitFor(`${url} to have written its log entries`, async () => {
        const health = await getJson(`${url}/health`);
        return (health.request_log as { buffered: number }).buffered === 0;
      });
    }

    await waitFor('replica-1 to hold a bulk request', () => (cluster.bulks.get('replica-1') ?? 0) > 0, {
      timeoutMs: 30_000,
    });
    services.get('replica-1')!.child.kill('SIGKILL');
    await services.get('replica-1')!.exit;

    await waitFor(
      `all ${PREDICTIONS} entries in the cluster`,
      () => cluster.count(LOGS_INDEX) === PREDICTIONS,
      { timeoutMs: 90_000, intervalMs: 100 },
    );
    // The survivors settle: no entry left pending in the queue.
    await waitFor(
      'the queue to be empty',
      async () => {
        const health = await getJson(`${urls[1]}/health`);
        return (health.shipping as { pending: number }).pending === 0;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );

    const logs = [...(cluster.docs.get(LOGS_INDEX)?.values() ?? [])];
    expect(new Set(logs.map((doc) => doc.transaction_id))).toEqual(new Set(ids));
    const byReplica = (key: string): string[] => cluster.writers.get(key) ?? [];
    const keys = [...cluster.writers.keys()].filter((key) => key.startsWith(`${LOGS_INDEX}/`));
    const twice = keys.filter((key) => new Set(byReplica(key)).size > 1);
    // The dead replica's batch reached the cluster, unacknowledged, and was taken over by a survivor: only its
    // entries were shipped twice, each once more by one survivor.
    expect(twice.length).toBeGreaterThan(0);
    expect(twice.every((key) => byReplica(key)[0] === 'replica-1' && byReplica(key).length === 2)).toBe(true);
    expect(twice.length).toBe(keys.filter((key) => byReplica(key).includes('replica-1')).length);
    expect(
      keys.filter((key) => byReplica(key).includes('replica-2') && byReplica(key).includes('replica-3')),
    ).toEqual([]);
    expect(new Set(keys.flatMap(byReplica))).toEqual(new Set(REPLICAS));
    const shippedBy = (name: string): number => keys.filter((key) => byReplica(key).at(-1) === name).length;
    process.stdout.write(
      `3 replicas, ${PREDICTIONS} predictions, replica-1 SIGKILLed mid-bulk: ${cluster.count(LOGS_INDEX)} entries ` +
        `once by id; shipped last by replica-2 ${shippedBy('replica-2')}, replica-3 ${shippedBy('replica-3')}; ` +
        `${twice.length} of replica-1's unacknowledged batch taken over\n`,
    );
  }, 240_000);
});
