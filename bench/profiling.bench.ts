/**
 * What the default performance monitoring adds to a request, measured on the real code: the six stage timers of a
 * prediction (`timeStage`) and the per-request profile (`startProfile` + `finishProfile`: CPU time, RSS, top 5
 * stages). A simulated request runs the prediction's six stages (three of them async, as the pool and onnxruntime
 * are) with trivial work, so that what is timed is the monitoring itself. Also shows the cost of building and
 * serialising the log entry, which happens after the response has been sent.
 * Usage: npx ts-node --transpile-only bench/profiling.bench.ts [--rounds 40] [--requests 2000]
 */
import { Command } from 'commander';
import { RequestContext, requestContextStorage } from '../src/common/request-context';
import { finishProfile, startProfile } from '../src/profiling/request-profile';
import { timeStage } from '../src/profiling/stage-timer';
import { EXAMPLE_REQUEST } from '../src/prediction/predict-request.dto';
import type { PerformanceMetrics } from '../src/log-store/log-entry';
import { buildLogEntry } from '../src/request-log/log-entry.factory';

type Variant = 'bare' | 'stages' | 'monitored' | 'entry';

let sink = 0;
const work = (): number => (sink += 1);
const asyncWork = (): Promise<number> => Promise.resolve(work());

const newContext = (): RequestContext => ({
  transactionId: 'bench',
  startNs: process.hrtime.bigint(),
  stages: new Map(),
});

/** The prediction's stages, called directly: what a request costs without any stage timer. */
async function bareRequest(): Promise<void> {
  work();
  work();
  await asyncWork();
  await asyncWork();
  await asyncWork();
  work();
}

/** The same stages, each timed as the service times them. */
async function timedRequest(): Promise<void> {
  timeStage('validate', work);
  timeStage('feature_engineering', work);
  await timeStage('batch_wait', asyncWork);
  await timeStage('pool_acquire', asyncWork);
  await timeStage('model_run', asyncWork);
  timeStage('serialise', work);
}

async function monitoredRequest(ctx: RequestContext): Promise<PerformanceMetrics> {
  const start = startProfile();
  await timedRequest();
  return finishProfile(start, {
    latencyNs: process.hrtime.bigint() - ctx.startNs,
    stages: ctx.stages,
    batchSize: 1,
  });
}

async function entryRequest(ctx: RequestContext): Promise<void> {
  const metrics = await monitoredRequest(ctx);
  const entry = buildLogEntry({
    transactionId: ctx.transactionId,
    method: 'POST',
    path: '/predict',
    statusCode: 200,
    latencyNs: process.hrtime.bigint() - ctx.startNs,
    body: EXAMPLE_REQUEST,
    result: { prediction: 1, probability: 0.900887, message: 'Prédiction positive' },
    model: 'logistic_regression@bench',
    metrics,
    at: new Date(),
  });
  sink += JSON.stringify(entry).length;
}

const run: Record<Variant, (ctx: RequestContext) => Promise<unknown>> = {
  bare: () => bareRequest(),
  stages: () => timedRequest(),
  monitored: monitoredRequest,
  entry: entryRequest,
};

/** Nanoseconds per request over one batch; every request in its own context, as the middleware does. */
async function batch(variant: Variant, requests: number): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < requests; i += 1) {
    const ctx = newContext();
    await requestContextStorage.run(ctx, () => run[variant](ctx));
  }
  return Number(process.hrtime.bigint() - started) / requests;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function main(): Promise<void> {
  const opts = new Command()
    .option('--rounds <n>', 'measured rounds (each variant once per round, in rotating order)', '40')
    .option('--requests <n>', 'simulated requests per round and variant', '2000')
    .parse()
    .opts<{ rounds: string; requests: string }>();
  const rounds = Number(opts.rounds);
  const requests = Number(opts.requests);
  const variants: Variant[] = ['bare', 'stages', 'monitored', 'entry'];
  for (const variant of variants) {
    await batch(variant, requests); // warm-up: JIT, the stage call sites
  }
  const samples: Record<Variant, number[]> = { bare: [], stages: [], monitored: [], entry: [] };
  for (let round = 0; round < rounds; round += 1) {
    for (let k = 0; k < variants.length; k += 1) {
      const variant = variants[(round + k) % variants.length];
      samples[variant].push(await batch(variant, requests));
    }
  }
  const us = (variant: Variant): number => median(samples[variant]) / 1000;
  const rows: [string, number][] = [
    ['request without monitoring (6 stages, 3 async)', us('bare')],
    ['+ stage timers', us('stages')],
    ['+ stage timers + profile (default monitoring)', us('monitored')],
    ['+ log entry built and serialised (after the response)', us('entry')],
  ];
  console.log(`Node ${process.version}, ${rounds} rounds × ${requests} requests, medians per request\n`);
  for (const [label, value] of rows) {
    console.log(`${label.padEnd(58)} ${value.toFixed(2).padStart(8)} µs`);
  }
  console.log('');
  console.log(
    `${'overhead of the stage timers'.padEnd(58)} ${(us('stages') - us('bare')).toFixed(2).padStart(8)} µs`,
  );
  console.log(
    `${'overhead of the default monitoring (timers + profile)'.padEnd(58)} ${(us('monitored') - us('bare')).toFixed(2).padStart(8)} µs`,
  );
  console.log(
    `${'log entry (off the response path)'.padEnd(58)} ${(us('entry') - us('monitored')).toFixed(2).padStart(8)} µs`,
  );
  if (sink < 0) {
    console.log(sink);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
