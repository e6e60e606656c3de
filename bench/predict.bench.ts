/**
 * Throughput and latency of the prediction API over real HTTP against the built service, in its own process.
 * Usage: npm run build && npx ts-node --transpile-only bench/predict.bench.ts [--requests 2000] [--concurrency 10]
 *        [--pool-size 4] [--endpoint /predict] [--model logistic_regression]
 */
import { Command } from 'commander';
import { Agent, request } from 'node:http';
import { EXAMPLE_REQUEST } from '../src/prediction/predict-request.dto';
import { serve } from './serve';

interface Options {
  requests: string;
  concurrency: string;
  poolSize: string;
  endpoint: string;
  model?: string;
}

function post(agent: Agent, url: URL, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function main(): Promise<void> {
  const opts = new Command()
    .option('--requests <n>', 'requests to send', '2000')
    .option('--concurrency <n>', 'requests in flight', '10')
    .option('--pool-size <n>', 'MODEL_POOL_SIZE of the service', '4')
    .option('--endpoint <path>', 'endpoint', '/predict')
    .option('--model <name>', 'model_type query parameter')
    .parse()
    .opts<Options>();
  const total = Number(opts.requests);
  const concurrency = Number(opts.concurrency);
  const served = await serve({ MODEL_POOL_SIZE: opts.poolSize });
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const url = new URL(`${served.url}${opts.endpoint}${opts.model ? `?model_type=${opts.model}` : ''}`);
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      next += 1;
      const body = JSON.stringify({ ...EXAMPLE_REQUEST, AGE: 20 + (next % 70) });
      const start = performance.now();
      const status = await post(agent, url, body);
      latencies.push(performance.now() - start);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  };
  // Warm-up: connections and the first runs of every session.
  await Promise.all(
    Array.from({ length: concurrency }, () => post(agent, url, JSON.stringify(EXAMPLE_REQUEST))),
  );
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  const stats = (await (await fetch(`${served.url}/pool/stats`)).json()) as Record<
    string,
    { total_predictions: number }
  >;
  agent.destroy();
  await served.stop();

  latencies.sort((a, b) => a - b);
  const ms = (v: number): string => `${v.toFixed(2)} ms`;
  console.log(
    `${total} × POST ${opts.endpoint}${opts.model ? ` (${opts.model})` : ''}, concurrency ${concurrency}, ` +
      `MODEL_POOL_SIZE ${opts.poolSize}, node ${process.version}`,
  );
  console.log(`  throughput ${(total / seconds).toFixed(0)} requests/s over ${seconds.toFixed(2)} s`);
  console.log(
    `  latency p50 ${ms(percentile(latencies, 50))}, p95 ${ms(percentile(latencies, 95))}, ` +
      `p99 ${ms(percentile(latencies, 99))}, max ${ms(latencies[latencies.length - 1])}`,
  );
  console.log(`  statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
  console.log(
    `  total_predictions ${JSON.stringify(Object.fromEntries(Object.entries(stats).map(([k, v]) => [k, v.total_predictions])))}`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
