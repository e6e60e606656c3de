import type Redis from 'ioredis';
import { Agent } from 'node:http';
import type { LogEntry } from '../../src/log-store/log-entry';
import { REDIS_HOST, REDIS_PORT, testKeys, testRedis } from '../support/request-log/redis';
import { postPrediction, type PostOutcome as Outcome } from '../support/post-prediction';
import { startService } from '../support/service-process';

const DB = 13;
const CLIENTS = 20;

/**
 * The finding: SIGTERM under load answered thousands of 500s ("No model is loaded") and reset connections, and the
 * 500s' entries were lost. Now: 20 clients send continuously over keep-alive connections, SIGTERM arrives mid-run;
 * every request the server accepted gets a complete 2xx, none is reset, the process exits 0, and the entry of every
 * answered request is in Redis afterwards.
 */
describe('SIGTERM under load', () => {
  let redis: Redis;
  let keys: ReturnType<typeof testKeys>;

  beforeAll(async () => {
    redis = await testRedis(DB);
    keys = testKeys(redis, 'shutdown');
  });
  afterAll(async () => {
    await keys.cleanUp();
    await redis.quit();
  });

  it.each([
    ['', {}],
    // Entries then wait for the shadow run after the response: none may be lost at shutdown either.
    [' (explaining, with a shadow model)', { EXPLAIN_BY_DEFAULT: 'true', SHADOW_MODEL: 'random_forest' }],
  ] as [string, Record<string, string>][])(
    'finishes every accepted request with a 2xx, resets none, exits 0 and loses no log entry%s',
    async (label, env) => {
      const stream = `${keys.prefix}:stream${label ? ':shadow' : ''}`;
      const service = startService({
        REDIS_HOST,
        REDIS_PORT: String(REDIS_PORT),
        REDIS_DB: String(DB),
        REDIS_LOGS_KEY: `${keys.prefix}:view${label ? ':shadow' : ''}`,
        REDIS_LOG_STREAM_KEY: stream,
        REDIS_LOGS_MAX_SIZE: '100000',
        RATE_LIMIT_PER_MINUTE: '0',
        MODEL_POOL_SIZE: '2',
        ...env,
      });
      const url = await service.url;

      const outcomes: Outcome[] = [];
      let signalled = false;
      const client = async (n: number): Promise<void> => {
        const agent = new Agent({ keepAlive: true, maxSockets: 1 });
        for (let i = 0; ; i += 1) {
          const outcome = await postPrediction(url, agent, `c${n}-${i}`);
          outcomes.push(outcome);
          // Once the server has stopped accepting, a client finds no one listening: its run is over.
          if (outcome.error !== undefined && signalled) {
            break;
          }
        }
        agent.destroy();
      };
      const clients = Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)));
      await new Promise((resolve) => setTimeout(resolve, 1500));
      signalled = true;
      service.child.kill('SIGTERM');
      await clients;
      const exit = await service.exit;

      const answered = outcomes.filter((o) => o.status !== undefined);
      const failed = outcomes.filter((o) => o.error !== undefined);
      expect(exit).toEqual({ code: 0, signal: null });
      expect(answered.length).toBeGreaterThan(CLIENTS);
      expect(answered.filter((o) => o.status !== 200)).toEqual([]);
      // The requests in progress when the signal came were answered with Connection: close.
      expect(answered.some((o) => o.closing)).toBe(true);
      // Requests that got no answer are those the server never accepted: refused, or sent on a socket it was
      // closing while idle. None of them is in the log: no accepted request was reset.
      expect(failed.every((o) => ['ECONNREFUSED', 'ECONNRESET', 'socket hang up'].includes(o.error!))).toBe(
        true,
      );

      const entries = (await redis.xrange(stream, '-', '+')).map(
        ([, fields]) => JSON.parse(fields[1]) as LogEntry,
      );
      const logged = entries.map((entry) => entry.data.transaction_id);
      if (env.SHADOW_MODEL) {
        expect(entries.filter((e) => !e.data.explanation || !e.data.shadow)).toEqual([]);
        expect(entries.filter((e) => e.data.shadow?.status === 'ok').length).toBeGreaterThan(0);
      }
      const loggedIds = new Set(logged);
      expect(logged.length).toBe(loggedIds.size);
      expect(answered.filter((o) => !loggedIds.has(o.id))).toEqual([]);
      expect(failed.filter((o) => loggedIds.has(o.id))).toEqual([]);
      expect(loggedIds.size).toBe(answered.length);
      expect(service.output()).toMatch(/SIGTERM: not ready any more[\s\S]*Stopped/);
      process.stdout.write(
        `SIGTERM under ${CLIENTS} clients${label}: ${answered.length} answered (all 200, ${answered.filter((o) => o.closing).length} ` +
          `with Connection: close), ${failed.length} not accepted after the signal ` +
          `(${[...new Set(failed.map((o) => o.error))].join(', ')}), ${loggedIds.size} entries in Redis, exit ${exit.code}` +
          (env.SHADOW_MODEL
            ? `; shadow ${['ok', 'dropped', 'failed'].map((s) => `${s} ${entries.filter((e) => e.data.shadow?.status === s).length}`).join(', ')}`
            : '') +
          '\n',
      );
    },
    120_000,
  );
});
