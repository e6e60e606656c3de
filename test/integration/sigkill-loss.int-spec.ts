import type Redis from 'ioredis';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storedEntry, type LogEntry } from '../../src/log-store/log-entry';
import { logEntry } from '../support/request-log/log-entries';
import { waitFor } from '../support/wait-for';
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

/**
 * The same bound while a shipping run is busy (a backlog of 30 000 entries shipped every second to the NDJSON
 * archive) and two processes burn both cores beside the service: the shipping work runs in a worker thread, so the
 * flush timer of the request log is late by no more than the event loop's own delay (read from /metrics'
 * monitorEventLoopDelay figures up to the kill).
 */
describe('SIGKILL during a shipping run, two CPU hogs beside', () => {
  let redis: Redis;
  let keys: ReturnType<typeof testKeys>;

  beforeAll(async () => {
    redis = await testRedis(DB);
    keys = testKeys(redis, 'sigkill-shipping');
  });
  afterAll(async () => {
    await keys.cleanUp();
    await redis.quit();
  });

  const FLUSH_MS = 50;
  const MARGIN_MS = 100;

  it.each([1, 2, 3, 4, 5])(
    'run %i: every lost entry was answered within LOG_FLUSH_INTERVAL_MS + the loop delay + 100 ms of the kill',
    async (run) => {
      const stream = `${keys.prefix}:${run}:stream`;
      const backlog = Array.from({ length: 30_000 }, () => storedEntry(logEntry({ prediction: 1 })).json);
      for (let start = 0; start < backlog.length; start += 1000) {
        const pipeline = redis.pipeline();
        backlog.slice(start, start + 1000).forEach((json) => pipeline.xadd(stream, '*', 'entry', json));
        await pipeline.exec();
      }
      const archive = mkdtempSync(join(tmpdir(), 'lungcheck-sigkill-archive-'));
      const hogs = [0, 1].map(() => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
      const service = startService({
        REDIS_HOST,
        REDIS_PORT: String(REDIS_PORT),
        REDIS_DB: String(DB),
        REDIS_LOG_STREAM_KEY: stream,
        REDIS_LOGS_KEY: `${keys.prefix}:${run}:view`,
        LOG_FLUSH_INTERVAL_MS: String(FLUSH_MS),
        LOG_SHIP_INTERVAL_SECONDS: '1',
        LOG_ARCHIVE_DIR: archive,
        RATE_LIMIT_PER_MINUTE: '0',
        MODEL_POOL_SIZE: '2',
      });
      try {
        const url = await service.url;
        const answeredAt = new Map<string, number>();
        let killed = false;
        const client = async (n: number): Promise<void> => {
          const agent = new Agent({ keepAlive: true, maxSockets: 1 });
          for (let i = 0; !killed; i += 1) {
            const id = `r${run}-${n}-${i}`;
            if ((await postPrediction(url, agent, id)).status === 200) {
              answeredAt.set(id, performance.now());
            }
          }
          agent.destroy();
        };
        // The event loop's delay, as /metrics reads it (the maximum since the previous scrape), every 200 ms.
        const delays: { at: number; seconds: number; shipping: boolean }[] = [];
        const scraper = (async () => {
          while (!killed) {
            const text = await fetch(`${url}/metrics`)
              .then((res) => res.text())
              .catch(() => '');
            const match = /^nodejs_eventloop_lag_max_seconds (\S+)/m.exec(text);
            const running = /^lungcheck_shipping_runs_total (\S+)/m.exec(text);
            if (match) {
              delays.push({ at: performance.now(), seconds: Number(match[1]), shipping: running !== null });
            }
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
        })();
        const clients = Promise.all(Array.from({ length: 10 }, (_, n) => client(n)));
        // Kill once shipping is under way: part of the backlog is in the archive, part still queued.
        await waitFor(
          'a shipping run to be under way',
          async () => {
            const shipped = (await redis.xlen(stream)) < backlog.length;
            return shipped ? true : undefined;
          },
          { timeoutMs: 60_000, intervalMs: 50 },
        );
        await new Promise((resolve) => setTimeout(resolve, 300));
        const pending = await redis.xlen(stream);
        const killedAt = performance.now();
        killed = true;
        service.child.kill('SIGKILL');
        await Promise.all([clients, scraper]);
        await service.exit;

        const stored = new Set(
          (await redis.xrange(stream, '-', '+')).map(([, fields]) => {
            const entry = JSON.parse(fields[1]!) as LogEntry;
            return entry.data.transaction_id;
          }),
        );
        for (const file of readdirSync(archive).filter(
          (f) => f.startsWith('ml-api-logs-') && f.endsWith('.ndjson'),
        )) {
          for (const line of readFileSync(join(archive, file), 'utf8').split('\n')) {
            const id = /"transaction_id":"([^"]+)"/.exec(line)?.[1];
            if (id) {
              stored.add(id);
            }
          }
        }
        const loopDelayMs =
          1000 * Math.max(0, ...delays.filter((d) => killedAt - d.at < 1500).map((d) => d.seconds));
        const lost = [...answeredAt].filter(([id]) => !stored.has(id));
        const oldestLostMs = Math.max(0, ...lost.map(([, at]) => killedAt - at));
        process.stdout.write(
          `SIGKILL during shipping, run ${run}: ${answeredAt.size} answered, ${lost.length} lost, the oldest ` +
            `${oldestLostMs.toFixed(0)} ms before the kill; loop delay ${loopDelayMs.toFixed(0)} ms; ` +
            `${pending} of ${backlog.length} backlog entries still queued at the kill\n`,
        );
        expect(pending).toBeGreaterThan(0);
        expect(answeredAt.size).toBeGreaterThan(20);
        expect(oldestLostMs).toBeLessThan(FLUSH_MS + loopDelayMs + MARGIN_MS);
      } finally {
        hogs.forEach((hog) => hog.kill('SIGKILL'));
        service.child.kill('SIGKILL');
        rmSync(archive, { recursive: true, force: true });
      }
    },
    120_000,
  );
});
