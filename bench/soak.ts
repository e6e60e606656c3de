/**
 * `npm run soak`: 60 s of load on the built service as it runs in production here (Redis logging, monitoring,
 * shipping every 5 s to the NDJSON archive), with autocannon at 10 connections. Every 10 s it prints the throughput,
 * p99 latency and the service's resident set size; at the end it compares the RSS after settling with the RSS after
 * warm-up (the target: within 10 %). Not part of `npm test`: it reports, it does not fail a build.
 * Options: --seconds 60 --connections 10 --redis 127.0.0.1:6379
 */
import autocannon from 'autocannon';
import { Command } from 'commander';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLE_REQUEST } from '../src/prediction/predict-request.dto';
import { serve } from './serve';

const WINDOW_SECONDS = 10;

/** The resident set of a process, in MiB, from /proc (Linux). */
function rssMiB(pid: number): number {
  const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kib) / 1024;
}

function load(url: string, seconds: number, connections: number): Promise<autocannon.Result> {
  return autocannon({
    url: `${url}/predict`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(EXAMPLE_REQUEST),
    connections,
    duration: seconds,
  });
}

async function main(options: { seconds: string; connections: string; redis: string }): Promise<void> {
  const seconds = Number(options.seconds);
  const connections = Number(options.connections);
  const [redisHost, redisPort] = options.redis.split(':');
  const archive = mkdtempSync(join(tmpdir(), 'lungcheck-soak-'));
  const keys = `soak:${randomUUID()}`;
  const service = await serve({
    REDIS_HOST: redisHost,
    REDIS_PORT: redisPort ?? '6379',
    REDIS_DB: '9',
    REDIS_LOGS_KEY: `${keys}:view`,
    REDIS_LOG_STREAM_KEY: `${keys}:stream`,
    LOG_SHIP_INTERVAL_SECONDS: '5',
    LOG_ARCHIVE_DIR: archive,
    RATE_LIMIT_PER_MINUTE: '0',
  });
  const pid = service.child.pid!;
  console.log(
    `soak: ${seconds} s, ${connections} connections, POST /predict, Redis logging and shipping every 5 s, ` +
      `node ${process.version}; RSS at start ${rssMiB(pid).toFixed(1)} MiB`,
  );
  console.log('window   requests/s   p50 ms   p99 ms   errors   RSS MiB');
  const rss: number[] = [];
  for (let window = 1; window * WINDOW_SECONDS <= seconds; window += 1) {
    const result = await load(service.url, WINDOW_SECONDS, connections);
    rss.push(rssMiB(pid));
    console.log(
      `${String(window * WINDOW_SECONDS).padStart(4)} s ${result.requests.average.toFixed(0).padStart(12)} ` +
        `${result.latency.p50.toFixed(2).padStart(8)} ${result.latency.p99.toFixed(2).padStart(8)} ` +
        `${String(result.errors + result.non2xx).padStart(8)} ${rss[rss.length - 1].toFixed(1).padStart(9)}`,
    );
  }
  const health = (await (await fetch(`${service.url}/health`)).json()) as {
    shipping?: { runs: number; entries_shipped: number; pending: number | null };
  };
  await service.stop();
  rmSync(archive, { recursive: true, force: true });
  const afterWarmUp = rss[0];
  const settled = rss[rss.length - 1];
  const change = (settled - afterWarmUp) / afterWarmUp;
  console.log(
    `shipping: ${health.shipping?.runs} runs, ${health.shipping?.entries_shipped} entries shipped, ` +
      `${health.shipping?.pending} pending at the end`,
  );
  console.log(
    `RSS after warm-up ${afterWarmUp.toFixed(1)} MiB, at the end ${settled.toFixed(1)} MiB: ` +
      `${(change * 100).toFixed(1)} % (target: within 10 %) ${Math.abs(change) <= 0.1 ? 'met' : 'NOT met'}`,
  );
}

new Command('soak')
  .option('--seconds <n>', 'length of the run', '60')
  .option('--connections <n>', 'concurrent connections', '10')
  .option('--redis <host:port>', 'the Redis to log to (database 9, keys of its own)', '127.0.0.1:6379')
  .action(main)
  .parseAsync()
  .catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
