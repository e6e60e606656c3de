/**
 * `npm run bench`: lungcheck against the floors it is built on, side by side in one run, on the project's runtime.
 *
 *   (a) lungcheck as deployed: Redis logging, monitoring on (shipping every 10 s to the NDJSON archive)
 *   (b) lungcheck with logging and monitoring off (LOG_REQUESTS=false, ENABLE_PERFORMANCE_MONITORING=false)
 *   (c) the card floor: empty Nest + request context + one interceptor + ValidationPipe with the 15-field DTO
 *   (d) the empty Nest floor: one POST handler
 *   (e) bare node:http: parse the body, answer JSON
 *   (f) (a) with micro-batching off (MICRO_BATCH_MAX_ROWS=0), to decide whether it earns its place
 *
 * Each is loaded with autocannon (as a library) at 1, 10 and 64 connections, interleaved round by round after a
 * warm-up; the medians of the rounds are reported with each configuration's ratio to (c), (d) and (e). Then:
 * server-side inference p50/p99 and RSS of (a), time to ready, the batch endpoint's rows/s at 1 000 rows, p99
 * with shipping every second against shipping off, side by side, and the memory an unshipped entry costs on the
 * embedded defaults (shipping off: 20 000 then 100 000 entries queued through the batch endpoint). The report is printed and written into
 * docs/performance.md between its bench markers. It never fails on a target: it reports.
 *
 * Options: --seconds 5 (per measurement) --rounds 3 --redis 127.0.0.1:6379 --no-write
 */
import autocannon from 'autocannon';
import { Command } from 'commander';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLE_REQUEST } from '../src/prediction/predict-request.dto';
import { ROOT, serve, type Served } from './serve';

interface Options {
  seconds: string;
  rounds: string;
  redis: string;
  write: boolean;
}

interface Measure {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

const CONNECTIONS = [1, 10, 64] as const;
const CONFIGS = ['a', 'b', 'c', 'd', 'e', 'f'] as const;
type Config = (typeof CONFIGS)[number];
const NAMES: Record<Config, string> = {
  a: '(a) lungcheck as deployed',
  b: '(b) lungcheck, logging and monitoring off',
  c: '(c) card floor',
  d: '(d) empty Nest floor',
  e: '(e) bare node:http',
  f: '(f) (a) with micro-batching off',
};
const BODY = JSON.stringify(EXAMPLE_REQUEST);

const median = (values: number[]): number => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};

function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
}

async function load(
  url: string,
  connections: number,
  seconds: number,
  body = BODY,
  path = '/predict',
): Promise<Measure> {
  const result = await autocannon({
    url: `${url}${path}`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    duration: seconds,
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

async function main(options: Options): Promise<void> {
  const seconds = Number(options.seconds);
  const rounds = Number(options.rounds);
  const [redisHost, redisPort = '6379'] = options.redis.split(':');
  const scratch = mkdtempSync(join(tmpdir(), 'lungcheck-bench-'));
  const redisEnv = (name: string): Record<string, string> => ({
    REDIS_HOST: redisHost,
    REDIS_PORT: redisPort,
    REDIS_DB: '9',
    REDIS_LOGS_KEY: `bench:${name}:${randomUUID()}:view`,
    REDIS_LOG_STREAM_KEY: `bench:${name}:${randomUUID()}:stream`,
    LOG_ARCHIVE_DIR: join(scratch, name),
    RATE_LIMIT_PER_MINUTE: '0',
    MAX_INFLIGHT_REQUESTS: '0',
  });
  const servers: Record<Config, Served> = {
    a: await serve({ ...redisEnv('a'), LOG_SHIP_INTERVAL_SECONDS: '10' }),
    b: await serve({ ...redisEnv('b'), LOG_REQUESTS: 'false', ENABLE_PERFORMANCE_MONITORING: 'false' }),
    c: await serve({}, 'bench/floors/card-floor.ts', null),
    d: await serve({}, 'bench/floors/empty-nest.ts', null),
    e: await serve({}, 'bench/floors/bare-http.ts', null),
    f: await serve({ ...redisEnv('f'), LOG_SHIP_INTERVAL_SECONDS: '10', MICRO_BATCH_MAX_ROWS: '0' }),
  };
  const results = new Map<string, Measure[]>();
  const key = (config: Config, connections: number): string => `${config}:${connections}`;
  try {
    process.stderr.write(`warm-up…\n`);
    for (const config of CONFIGS) {
      await load(servers[config].url, 10, 2);
    }
    for (let round = 1; round <= rounds; round += 1) {
      for (const connections of CONNECTIONS) {
        for (const config of CONFIGS) {
          const measure = await load(servers[config].url, connections, seconds);
          results.set(key(config, connections), [...(results.get(key(config, connections)) ?? []), measure]);
          process.stderr.write(
            `round ${round}, ${connections} conn, ${NAMES[config]}: ${measure.rps.toFixed(0)} req/s, p99 ${measure.p99} ms\n`,
          );
        }
      }
    }
    const summary = (config: Config, connections: number): Measure => {
      const all = results.get(key(config, connections)) ?? [];
      return {
        rps: median(all.map((m) => m.rps)),
        p50: median(all.map((m) => m.p50)),
        p99: median(all.map((m) => m.p99)),
        errors: all.reduce((n, m) => n + m.errors, 0),
      };
    };

    // Server-side figures of (a): inference times from its log entries, resident memory after the run.
    const logs = (await (await fetch(`${servers.a.url}/logs?limit=1000&path=/predict`)).json()) as {
      logs: { data: { performance_metrics: { inference_time_ms: number } | null } }[];
    };
    const inference = logs.logs.flatMap((entry) =>
      entry.data.performance_metrics ? [entry.data.performance_metrics.inference_time_ms * 1000] : [],
    );
    const rss = { a: rssMiB(servers.a.child.pid!), b: rssMiB(servers.b.child.pid!) };
    const readyMs = servers.a.readyMs;
    for (const served of Object.values(servers)) {
      await served.stop();
    }

    // The batch endpoint: 1 000 rows per request.
    const batch = await serve({ ...redisEnv('batch') });
    const rows = Array.from({ length: 1000 }, (_, i) => ({ ...EXAMPLE_REQUEST, AGE: 20 + (i % 70) }));
    const batchMeasure = await load(
      batch.url,
      2,
      seconds,
      JSON.stringify({ instances: rows }),
      '/predict/batch',
    );
    await batch.stop();

    // Shipping every second against shipping off, side by side, at 10 connections.
    const shipping = await serve({ ...redisEnv('ship-1s'), LOG_SHIP_INTERVAL_SECONDS: '1' });
    const quiet = await serve({ ...redisEnv('ship-off'), LOG_SHIP_INTERVAL_SECONDS: '0' });
    const p99 = { on: [] as number[], off: [] as number[] };
    for (let round = 0; round < rounds; round += 1) {
      p99.on.push((await load(shipping.url, 10, seconds)).p99);
      p99.off.push((await load(quiet.url, 10, seconds)).p99);
    }
    await shipping.stop();
    await quiet.stop();

    const memory = await measureMemory();

    const report = render({
      seconds,
      rounds,
      summary,
      inference,
      rss,
      readyMs,
      batchRowsPerSecond: batchMeasure.rps * 1000,
      batchErrors: batchMeasure.errors,
      p99ShippingOn: median(p99.on),
      p99ShippingOff: median(p99.off),
      memory,
    });
    console.log(report);
    if (options.write) {
      const path = join(ROOT, 'docs/performance.md');
      const doc = readFileSync(path, 'utf8');
      writeFileSync(
        path,
        doc.replace(/(<!-- bench:start -->\n)[\s\S]*?(\n<!-- bench:end -->)/, `$1\n${report}\n$2`),
      );
      process.stderr.write('written into docs/performance.md\n');
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

interface Memory {
  baseMiB: number;
  at20kMiB: number;
  at100kMiB: number;
  queuedAt20k: number;
  queuedAt100k: number;
  dropped: number;
  bufferMaxMb: number;
}

/**
 * The embedded store with shipping off: RSS after a warm-up, then with 20 000 and with 100 000 entries queued (1 000
 * rows per batch request, one entry per row). LOG_BUFFER_MAX_MB (64 by default) bounds the queue in bytes, so the
 * second step drops the oldest entries and counts them.
 */
async function measureMemory(): Promise<Memory> {
  const bufferMaxMb = 64;
  const served = await serve({ RATE_LIMIT_PER_MINUTE: '0', LOG_BUFFER_MAX_MB: String(bufferMaxMb) });
  const post = async (body: string, path: string): Promise<void> => {
    const res = await fetch(`${served.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    await res.arrayBuffer();
    if (!res.ok) {
      throw new Error(`${path} answered ${res.status}`);
    }
  };
  const queue = async (): Promise<{ pending: number; dropped: number }> => {
    const stats = (await (await fetch(`${served.url}/logs/stats`)).json()) as {
      pending_ship: number;
      dropped: number;
    };
    return { pending: stats.pending_ship, dropped: stats.dropped };
  };
  const settledRss = async (): Promise<number> => {
    await new Promise((r) => setTimeout(r, 1000));
    return rssMiB(served.child.pid!);
  };
  try {
    for (let i = 0; i < 200; i += 1) {
      await post(BODY, '/predict');
    }
    const baseMiB = await settledRss();
    const base = await queue();
    const batch = JSON.stringify({
      instances: Array.from({ length: 1000 }, (_, i) => ({ ...EXAMPLE_REQUEST, AGE: 20 + (i % 70) })),
    });
    for (let i = 0; i < 20; i += 1) {
      await post(batch, '/predict/batch');
    }
    const at20kMiB = await settledRss();
    const at20k = await queue();
    for (let i = 0; i < 80; i += 1) {
      await post(batch, '/predict/batch');
    }
    const at100kMiB = await settledRss();
    const at100k = await queue();
    return {
      baseMiB,
      at20kMiB,
      at100kMiB,
      queuedAt20k: at20k.pending - base.pending,
      queuedAt100k: at100k.pending,
      dropped: at100k.dropped,
      bufferMaxMb,
    };
  } finally {
    await served.stop();
  }
}

interface Figures {
  seconds: number;
  rounds: number;
  summary: (config: Config, connections: number) => Measure;
  inference: number[];
  rss: { a: number; b: number };
  readyMs: number;
  batchRowsPerSecond: number;
  batchErrors: number;
  p99ShippingOn: number;
  p99ShippingOff: number;
  memory: Memory;
}

const mark = (met: boolean): string => (met ? 'met' : '**not met**');

function render(f: Figures): string {
  const lines: string[] = [
    `\`npm run bench\`, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${f.rounds} rounds of ` +
      `${f.seconds} s per configuration and connection count, interleaved, medians of the rounds. The load generator ` +
      `(autocannon) shares the machine's 2 cores with the server.`,
    '',
  ];
  for (const connections of CONNECTIONS) {
    lines.push(
      `**${connections} connection${connections === 1 ? '' : 's'}**`,
      '',
      '| configuration | requests/s | p50 ms | p99 ms | errors | ÷ (c) | ÷ (d) | ÷ (e) |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    const [c, d, e] = (['c', 'd', 'e'] as const).map((config) => f.summary(config, connections).rps);
    for (const config of CONFIGS) {
      const m = f.summary(config, connections);
      lines.push(
        `| ${NAMES[config]} | ${m.rps.toFixed(0)} | ${m.p50} | ${m.p99} | ${m.errors} | ${(m.rps / c).toFixed(2)} | ` +
          `${(m.rps / d).toFixed(2)} | ${(m.rps / e).toFixed(2)} |`,
      );
    }
    lines.push('');
  }
  const a10 = f.summary('a', 10);
  const b10 = f.summary('b', 10);
  const c10 = f.summary('c', 10);
  const inferenceP50 = quantile(f.inference, 0.5);
  const inferenceP99 = quantile(f.inference, 0.99);
  const shippingRatio = f.p99ShippingOn / f.p99ShippingOff;
  const f10 = f.summary('f', 10);
  const a64 = f.summary('a', 64);
  const f64 = f.summary('f', 64);
  const m = f.memory;
  const perEntryKb = ((m.at20kMiB - m.baseMiB) * 1024) / m.queuedAt20k;
  lines.push(
    '| target (10 connections) | figure | |',
    '| --- | --- | --- |',
    `| (a) ≥ 0.70 × the card floor | ${(a10.rps / c10.rps).toFixed(2)} × | ${mark(a10.rps >= 0.7 * c10.rps)} |`,
    `| (a) p99 ≤ 5 ms | ${a10.p99} ms | ${mark(a10.p99 <= 5)} |`,
    `| (b) ≥ 0.90 × the card floor | ${(b10.rps / c10.rps).toFixed(2)} × | ${mark(b10.rps >= 0.9 * c10.rps)} |`,
    `| inference p50 ≤ 50 µs (server side, ${f.inference.length} predictions of (a)) | p50 ${inferenceP50.toFixed(0)} µs, p99 ${inferenceP99.toFixed(0)} µs | ${mark(inferenceP50 <= 50)} |`,
    `| RSS after the run ≤ 200 MB | (a) ${f.rss.a.toFixed(0)} MiB, (b) ${f.rss.b.toFixed(0)} MiB | ${mark(f.rss.a <= 200)} |`,
    `| ready ≤ 1 s after start | ${(f.readyMs / 1000).toFixed(2)} s | ${mark(f.readyMs <= 1000)} |`,
    `| batch of 1 000 rows ≥ 200 000 rows/s | ${f.batchRowsPerSecond.toFixed(0)} rows/s (${f.batchErrors} errors) | ${mark(f.batchRowsPerSecond >= 200_000 && f.batchErrors === 0)} |`,
    `| p99 with shipping every second ≤ 1.5 × without | ${f.p99ShippingOn} ms against ${f.p99ShippingOff} ms: ${shippingRatio.toFixed(2)} × | ${mark(shippingRatio <= 1.5)} |`,
    `| a queued entry ≤ 2.5 KB of RSS (embedded store, ${m.queuedAt20k} entries) | ${perEntryKb.toFixed(2)} KB (RSS ${m.baseMiB.toFixed(0)} → ${m.at20kMiB.toFixed(0)} MiB) | ${mark(perEntryKb <= 2.5)} |`,
    `| 100 000 entries sent: RSS ≤ base + LOG_BUFFER_MAX_MB (${m.bufferMaxMb}) + 50 MB | ${m.at100kMiB.toFixed(0)} MiB against ${(m.baseMiB + m.bufferMaxMb + 50).toFixed(0)} MiB; ${m.queuedAt100k} queued, ${m.dropped} oldest dropped and counted | ${mark(m.at100kMiB <= m.baseMiB + m.bufferMaxMb + 50)} |`,
    '',
    `Micro-batching at 10 connections: (a) ${a10.rps.toFixed(0)} req/s, p99 ${a10.p99} ms; (f), the same without it: ` +
      `${f10.rps.toFixed(0)} req/s, p99 ${f10.p99} ms (${(a10.rps / f10.rps).toFixed(2)} ×); at 64 connections ` +
      `${a64.rps.toFixed(0)} against ${f64.rps.toFixed(0)} req/s (${(a64.rps / f64.rps).toFixed(2)} ×).`,
  );
  return lines.join('\n');
}

new Command('bench')
  .option('--seconds <n>', 'seconds per measurement', '5')
  .option('--rounds <n>', 'rounds', '3')
  .option(
    '--redis <host:port>',
    'the Redis the deployed configurations log to (database 9)',
    '127.0.0.1:6379',
  )
  .option('--no-write', 'print only, do not update docs/performance.md')
  .action(main)
  .parseAsync()
  .catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
