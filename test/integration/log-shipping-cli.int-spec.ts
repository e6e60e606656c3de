import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { RedisLogStore } from '../../src/log-store/redis-log-store';
import { predictionEntry, validationErrorEntry } from '../support/log-shipping/entries';
import { REDIS_HOST, REDIS_PORT, testKeys, testRedis } from '../support/request-log/redis';
import { asStored } from '../support/request-log/log-entries';

const ROOT = join(__dirname, '../..');
const DB = 12;

/** `npm run ship -- <args>` as a user runs it (ts-node), with only the given environment. */
function ship(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register', 'src/cli/ship.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', TS_NODE_TRANSPILE_ONLY: 'true', NO_COLOR: '1', ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })));
}

describe('npm run ship', () => {
  let redis: Redis;
  let keys: ReturnType<typeof testKeys>;
  let store: RedisLogStore;
  let env: Record<string, string>;

  beforeAll(async () => {
    redis = await testRedis(DB);
  });
  // Each test its own queue: jest --randomize runs them in any order, and one leaves an entry queued on purpose.
  beforeEach(() => {
    keys = testKeys(redis, 'log-shipping-cli');
    const streamKey = `${keys.prefix}:stream`;
    const viewKey = `${keys.prefix}:view`;
    store = new RedisLogStore(redis, { viewKey, streamKey, viewMaxSize: 1000, bufferMax: 100_000 });
    env = {
      REDIS_HOST,
      REDIS_PORT: String(REDIS_PORT),
      REDIS_DB: String(DB),
      REDIS_LOGS_KEY: viewKey,
      REDIS_LOG_STREAM_KEY: streamKey,
      LOG_ARCHIVE_DIR: mkdtempSync(join(tmpdir(), 'lungcheck-ship-cli-')),
    };
  });
  afterEach(() => keys.cleanUp());
  afterAll(async () => {
    await redis.quit();
  });

  it('ships the Redis queue with the service code and prints what it shipped', async () => {
    await store.append(asStored([predictionEntry(), predictionEntry(), validationErrorEntry()]));
    const { code, output } = await ship(['--once'], env);
    expect({ code, output }).toMatchObject({ code: 0 });
    expect(output).toContain(`shipped: 3 entries shipped to ndjson (${env.LOG_ARCHIVE_DIR})`);
    expect(output).toMatch(/documents: ml-api-logs 3, ml-api-message 2, ml-api-perfs 2, ml-api-top-func 10/);
    expect(output).toContain('pending now: 0');
    expect(readdirSync(env.LOG_ARCHIVE_DIR!)).toHaveLength(4);
    expect((await store.queueStats()).pending).toBe(0);
  });

  it("exits 2 and says why when no Redis is configured (it cannot read a running service's memory)", async () => {
    const { code, output } = await ship(['--once'], { LOG_ARCHIVE_DIR: env.LOG_ARCHIVE_DIR });
    expect({ code, output }).toEqual({
      code: 2,
      output:
        "ship: no Redis configured: the service's in-process log store cannot be read from another process; " +
        'set REDIS_HOST, or use POST /logs/ship on the running service\n',
    });
  });

  it('exits 1, says why and keeps the entries queued when Elasticsearch cannot be reached', async () => {
    await store.append(asStored([predictionEntry()]));
    const { code, output } = await ship(['--once'], { ...env, ES_URL: 'http://127.0.0.1:9' });
    expect({ code, output }).toMatchObject({ code: 1 });
    expect(output).toMatch(/failed: 0 entries shipped to elasticsearch \(http:\/\/127\.0\.0\.1:9\)/);
    expect(output).toMatch(/error: installing index templates failed: ConnectionError/);
    expect(output).toContain('pending now: 1');
    expect((await store.queueStats()).pending).toBe(1);
  });
});
