import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { INPUT_FIELDS } from '../../src/features/features';
import { targetUrl } from '../../src/simulator/simulator.options';
import { patientSequence } from '../../src/simulator/simulator.patients';
import { runSimulation, type RunnerOptions } from '../../src/simulator/simulator.runner';
import { summarise, type SimulationSummary } from '../../src/simulator/simulator.summary';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type { DriftReport } from '../../src/monitoring/drift.engine';
import { RequestLogService } from '../../src/request-log/request-log.service';
import { loadTrainingProfile } from '../../src/simulator/simulator.profile';
import { waitFor } from '../support/wait-for';
import { close, createTestApp, listen } from './support/test-app';

const ROOT = join(__dirname, '../..');

interface Received {
  n: number;
  method: string | undefined;
  url: string | undefined;
  contentType: string | undefined;
  body: Record<string, unknown>;
}

/** How long the requests that reached the barrier wait before their answers. */
const OVERLAP_GRACE_MS = 100;

interface TestServerOptions {
  /** Status of the n-th request received (1-based); 200 when absent. */
  statusOf?: (n: number) => number;
  /** Answers none of the first `barrier` requests until that many are in flight together. */
  barrier?: number;
  /** Requests never answered (until the server closes). */
  hang?: (n: number) => boolean;
  /** Requests from this one on wait for release(). */
  holdFrom?: number;
}

interface TestServer {
  url: string;
  received: Received[];
  maxInFlight(): number;
  /** Requests waiting for release(). */
  held(): number;
  /** Answers the held requests, and every later one at once. */
  release(): void;
  close(): Promise<void>;
}

/** A stand-in for the service: answers by arrival rank, records the bodies and how many requests overlap. */
async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const received: Received[] = [];
  let arrived = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let held: (() => void)[] = [];
  let barrierPassed = !options.barrier;
  let released = false;
  const server: Server = createServer((req, res) => {
    const n = ++arrived;
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => (inFlight -= 1));
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      received.push({
        n,
        method: req.method,
        url: req.url,
        contentType: req.headers['content-type'],
        body: JSON.parse(body) as Record<string, unknown>,
      });
      const answer = (): void => {
        const status = options.statusOf?.(n) ?? 200;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(status === 200 ? { prediction: 0 } : { detail: `refused request ${n}` }));
      };
      if (options.hang?.(n)) {
        return;
      }
      if (!barrierPassed) {
        held.push(answer);
        if (held.length === options.barrier) {
          barrierPassed = true;
          const waiting = held;
          held = [];
          // A moment later, so that a request beyond the limit, sent with these, is seen overlapping them.
          setTimeout(() => waiting.forEach((a) => a()), OVERLAP_GRACE_MS);
        }
        return;
      }
      if (options.holdFrom !== undefined && n >= options.holdFrom && !released) {
        held.push(answer);
        return;
      }
      answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    maxInFlight: () => maxInFlight,
    held: () => held.length,
    release: () => {
      released = true;
      held.forEach((a) => a());
      held = [];
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Every 5th request 500, every 7th (not 5th) 422: 68 of 100 succeed. */
const fifthsAndSevenths = (n: number): number => (n % 5 === 0 ? 500 : n % 7 === 0 ? 422 : 200);

const servers: TestServer[] = [];
async function server(options?: TestServerOptions): Promise<TestServer> {
  const started = await startTestServer(options);
  servers.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** The runner and the summary, as the command uses them. */
async function simulate(
  url: string,
  options: Partial<Omit<RunnerOptions, 'url' | 'nextPatient'>> & { seed?: number } = {},
): Promise<SimulationSummary> {
  const { seed = 1, ...runner } = options;
  const requests = runner.requests ?? 20;
  const users = runner.users ?? 4;
  const run = await runSimulation({
    url,
    requests,
    users,
    delayMs: 0,
    timeoutMs: 10_000,
    nextPatient: patientSequence({ seed, total: requests }),
    ...runner,
  });
  return summarise(run, {
    url,
    endpoint: '/predict',
    model: null,
    users,
    requests,
    seed,
    profile: 'uniform',
    drift: null,
  });
}

describe('simulator runner against a test server (e2e)', () => {
  it('counts successes and failures by status exactly, with exactly `users` requests in flight at most', async () => {
    const s = await server({ statusOf: fifthsAndSevenths, barrier: 8 });
    const summary = await simulate(targetUrl({ url: s.url, endpoint: '/predict' }), {
      requests: 100,
      users: 8,
    });
    expect(summary).toMatchObject({ total: 100, succeeded: 68, failed: 32, interrupted: false });
    expect(summary.by_status).toEqual({ 200: 68, 422: 12, 500: 20 });
    expect(s.maxInFlight()).toBe(8);
    expect(summary.first_errors).toHaveLength(5);
    for (const e of summary.first_errors) {
      expect([422, 500]).toContain(e.status);
      expect(e.error).toMatch(/^\{"detail":"refused request \d+"\}$/);
    }
    expect(summary.latency_ms).not.toBeNull();
  });

  it('posts the 15 answers as JSON under their canonical names, within their ranges', async () => {
    const s = await server();
    await simulate(targetUrl({ url: s.url, endpoint: '/predict' }), { requests: 30, users: 3 });
    expect(s.received).toHaveLength(30);
    for (const r of s.received) {
      expect(r).toMatchObject({ method: 'POST', url: '/predict', contentType: 'application/json' });
      expect(Object.keys(r.body)).toEqual([...INPUT_FIELDS]);
      for (const [field, value] of Object.entries(r.body)) {
        expect(
          field === 'AGE'
            ? Number.isInteger(value) && Number(value) >= 20 && Number(value) <= 90
            : [0, 1].includes(Number(value)),
        ).toBe(true);
      }
    }
  });

  it('calls the endpoint under the base path, with the model as ?model=', async () => {
    const s = await server();
    const url = targetUrl({ url: `${s.url}/api`, endpoint: '/predict_proba', model: 'random_forest' });
    const summary = await simulate(url, { requests: 5, users: 2 });
    expect(summary.succeeded).toBe(5);
    expect(new Set(s.received.map((r) => r.url))).toEqual(
      new Set(['/api/predict_proba?model=random_forest']),
    );
  });

  it('sends the same patients for the same seed, and others for another seed', async () => {
    const bodies = async (seed: number): Promise<string[]> => {
      const s = await server();
      await simulate(s.url, { requests: 40, users: 5, seed });
      return s.received.map((r) => JSON.stringify(r.body)).sort();
    };
    const first = await bodies(2024);
    expect(await bodies(2024)).toEqual(first);
    expect(await bodies(2025)).not.toEqual(first);
  });

  it('counts a request left unanswered past the timeout as a timeout', async () => {
    const s = await server({ hang: (n) => n === 3 });
    const summary = await simulate(s.url, { requests: 6, users: 2, timeoutMs: 2000 });
    expect(summary.by_status).toEqual({ 200: 5, timeout: 1 });
    expect(summary.first_errors).toEqual([
      { index: expect.any(Number), status: 'timeout', error: 'no answer within 2 s' },
    ]);
  });

  it('counts refused connections as network errors, with no latency', async () => {
    const s = await startTestServer();
    await s.close();
    const summary = await simulate(s.url, { requests: 3, users: 2 });
    expect(summary.by_status).toEqual({ 'network error': 3 });
    expect(summary.latency_ms).toBeNull();
    expect(summary.first_errors[0].error).toContain('ECONNREFUSED');
  });

  it('pauses each user between its requests for --delay', async () => {
    const s = await server();
    const summary = await simulate(s.url, { requests: 3, users: 1, delayMs: 150 });
    expect(summary.succeeded).toBe(3);
    expect(summary.duration_s).toBeGreaterThanOrEqual(0.3);
  });

  it('starts no request once stopped, lets those in flight end, and says it was interrupted', async () => {
    const s = await server({ holdFrom: 6 });
    const stop = new AbortController();
    const run = simulate(s.url, { requests: 100, users: 3, stop: stop.signal });
    await waitFor('three held requests', () => s.held() === 3);
    stop.abort();
    s.release();
    const summary = await run;
    expect(summary).toMatchObject({ interrupted: true, total: 8, succeeded: 8 });
    expect(s.received).toHaveLength(8);
  });
});

interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `npm run simulate -- …` as npm runs it (transpiled on the fly), in a process of its own. */
function startCli(...args: string[]): { kill(signal: NodeJS.Signals): void; done: Promise<CliRun> } {
  const child = spawn(process.execPath, ['-r', 'ts-node/register', 'src/cli/simulate.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', TS_NODE_TRANSPILE_ONLY: 'true' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<CliRun>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { kill: (signal) => child.kill(signal), done };
}

describe('simulate command (e2e)', () => {
  it('prints the table and exits 1 when fewer than 90 % succeed', async () => {
    const s = await server({ statusOf: fifthsAndSevenths, barrier: 5 });
    const run = await startCli('--url', s.url, '-r', '100', '-u', '5', '--seed', '7').done;
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('  succeeded     68 (68.0 %)');
    expect(run.stdout).toContain('    status 500  20');
    expect(run.stdout).toContain('seed 7');
    expect(run.stdout.trimEnd().endsWith('FAILED: 68.0 % succeeded (below 90 %)')).toBe(true);
    expect(s.maxInFlight()).toBe(5);
  });

  it('prints one JSON object with --json and exits 0 at exactly 90 % succeeded', async () => {
    const s = await server({ statusOf: (n) => (n % 10 === 0 ? 500 : 200) });
    const run = await startCli(
      ...['--url', s.url, '-r', '50', '-u', '4', '--json', '-e', '/predict_proba', '--model', 'rf'],
      ...['--enable-age-drift', '--drift-mode', 'step', '--age-drift-target', '75'],
    ).done;
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as SimulationSummary;
    expect(summary).toMatchObject({
      total: 50,
      succeeded: 45,
      failed: 5,
      by_status: { 200: 45, 500: 5 },
      target: `${s.url}/predict_proba?model=rf`,
      drift: { mode: 'step', target: 75, start_percent: 0, end_percent: 100 },
    });
    expect(Number.isInteger(summary.seed)).toBe(true);
    const ages = s.received.map((r) => Number(r.body.AGE));
    expect(Math.min(...ages)).toBeGreaterThanOrEqual(70);
    expect(Math.max(...ages)).toBeLessThanOrEqual(80);
  });

  it('exits 2 with one line on stderr for an invalid option, sending nothing', async () => {
    const s = await server();
    const run = await startCli('--url', s.url, '--users', '0').done;
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      "simulate: option '-u, --users <n>' argument '0' is invalid. expected a positive integer\n",
    );
    expect(run.stdout).toBe('');
    expect(s.received).toHaveLength(0);
  });

  it('on Ctrl+C stops sending, prints the summary of what was sent and exits 130', async () => {
    const s = await server({ holdFrom: 4 });
    const cli = startCli('--url', s.url, '-r', '1000', '-u', '2', '--json');
    await waitFor('two held requests', () => s.held() === 2);
    cli.kill('SIGINT');
    // Requests started before the signal is handled are answered at once; none starts after it.
    s.release();
    const run = await cli.done;
    expect(run.code).toBe(130);
    const summary = JSON.parse(run.stdout) as SimulationSummary;
    expect(summary.interrupted).toBe(true);
    expect(summary.total).toBe(s.received.length);
    expect(summary.total).toBeLessThan(1000);
  });
});

describe('the training profile against the service (e2e)', () => {
  let app: NestExpressApplication | undefined;
  let url: string;

  beforeAll(async () => {
    app = await createTestApp({ env: { API_KEY: 'k'.repeat(32), RATE_LIMIT_PER_MINUTE: '100000' } });
    url = await listen(app);
  });

  afterAll(() => close(app));

  it.each([1, 2, 3, 4, 5])(
    'is calm traffic: a run of 500 (seed %i) shows no prediction drift and no data-set drift',
    async (seed) => {
      await request(url).delete('/logs').set('X-API-Key', 'k'.repeat(32)).expect(200);
      const training = loadTrainingProfile(join(ROOT, 'data', 'survey_lung_cancer.csv'));
      const run = await runSimulation({
        url: `${url}/predict`,
        requests: 500,
        users: 10,
        delayMs: 0,
        timeoutMs: 30_000,
        nextPatient: patientSequence({ seed, total: 500, training }),
        stop: new AbortController().signal,
      });
      expect(run.results.filter((r) => r.outcome !== 200)).toEqual([]);
      await app!.get(RequestLogService).drain();
      const drift = (await request(url).get('/drift').expect(200)).body as DriftReport;
      expect(drift.window.size).toBe(500);
      expect({ seed, dataset_drift: drift.dataset_drift, prediction: drift.prediction?.level }).toEqual({
        seed,
        dataset_drift: false,
        prediction: expect.stringMatching(/^(NO|POSSIBLE)$/) as string,
      });
    },
  );
});
