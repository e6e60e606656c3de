import type Redis from 'ioredis';
import { Agent } from 'node:http';
import type { LogEntry } from '../../src/log-store/log-entry';
import { REDIS_HOST, REDIS_PORT, testKeys, testRedis } from '../support/request-log/redis';
import { postPrediction } from '../support/post-prediction';
import { startService } from '../support/service-process';

const DB = 13;
const FLUSH_INTERVAL_MS = 200;
/** Beyond the flush interval: one Redis round trip and the scheduling of a loaded machine. */
const SLACK_MS = 500;

/**
 * "Writes never wait" has a price, bounded: on SIGKILL (or power loss) the entries still in memory are lost, and
 * they are at most those of the last LOG_FLUSH_INTERVAL_MS of answered traffic (plus a round trip). Measured here
 * with a 200 ms interval, so that the bound stands out from the machine's noise.
 */
describe('SIGKILL under load', () => {
  let redis: Redis;
  let keys: ReturnType<typeof testKeys>;

  beforeAll(async () => {
    redis = await testRedis(DB);
    keys = testKeys(redis, 'sigkill');
  });
  afterAll(async () => {
    await keys.cleanUp();
    await redis.quit();
  });

  it(`loses only entries answered in the last ${FLUSH_INTERVAL_MS} ms (LOG_FLUSH_INTERVAL_MS) before the kill`, async () => {
    const service = startService({
      REDIS_HOST,
      REDIS_PORT: String(REDIS_PORT),
      REDIS_DB: String(DB),
      REDIS_LOG_STREAM_KEY: `${keys.prefix}:stream`,
      REDIS_LOGS_KEY: `${keys.prefix}:view`,
      LOG_FLUSH_INTERVAL_MS: String(FLUSH_INTERVAL_MS),
      RATE_LIMIT_PER_MINUTE: '0',
      MODEL_POOL_SIZE: '2',
    });
    const url = await service.url;
    const answeredAt = new Map<string, number>();
    let killed = false;
    const client = async (n: number): Promise<void> => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      for (let i = 0; !killed; i += 1) {
        const id = `s${n}-${i}`;
        if ((await postPrediction(url, agent, id)).status === 200) {
          answeredAt.set(id, performance.now());
        }
      }
      agent.destroy();
    };
    const clients = Promise.all(Array.from({ length: 10 }, (_, n) => client(n)));
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const killedAt = performance.now();
    killed = true;
    service.child.kill('SIGKILL');
    await clients;
    await service.exit;

    const stored = new Set(
      (await redis.xrange(`${keys.prefix}:stream`, '-', '+')).map(
        ([, fields]) => (JSON.parse(fields[1]) as LogEntry).data.transaction_id,
      ),
    );
    const lost = [...answeredAt].filter(([id]) => !stored.has(id));
    const oldestLostMsBeforeKill = Math.max(0, ...lost.map(([, at]) => killedAt - at));
    process.stdout.write(
      `SIGKILL after ${answeredAt.size} answered predictions: ${lost.length} entries lost, answered at most ` +
        `${oldestLostMsBeforeKill.toFixed(0)} ms before the kill (LOG_FLUSH_INTERVAL_MS ${FLUSH_INTERVAL_MS})\n`,
    );
    expect(answeredAt.size).toBeGreaterThan(100);
    expect(stored.size).toBeGreaterThan(0);
    expect(oldestLostMsBeforeKill).toBeLessThan(FLUSH_INTERVAL_MS + SLACK_MS);
  }, 120_000);
});
