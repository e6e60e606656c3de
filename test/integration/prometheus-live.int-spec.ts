import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { AppConfig } from '../../src/config/app-config';
import { validateEnv } from '../../src/config/env.schema';
import { ALERTS } from '../../src/monitoring/alert.definitions';
import { alertRulesYaml } from '../../src/monitoring/alert-rules';
import { LATENCY_BUCKETS } from '../../src/monitoring/metrics.samples';
import { EXAMPLE_REQUEST } from '../../src/prediction/predict-request.dto';
import { freePort } from '../support/request-log/redis-server';
import { type ServiceProcess, startService } from '../support/service-process';
import { waitFor } from '../support/wait-for';

/**
 * The generated rules in a real Prometheus scraping the real service: the service as a process on its embedded
 * defaults, a `prometheus` scraping its /metrics every second and evaluating alerts.yml (written by alertRulesYaml
 * from the service's own environment), a few hundred predictions, then every rule's quantity queried from
 * Prometheus. A quantity that is empty on a real scrape (series labelled job and instance) cannot fire: the CPU rule
 * once divided a job/instance series by a label-less sum and was empty everywhere but in its unit test.
 *
 * So that every quantity has data within the test: drift is evaluated every 2 s (DRIFT_EVALUATE_SECONDS) once 100
 * predictions are logged, and nothing is shipped (LOG_SHIP_INTERVAL_SECONDS=0), so the oldest unshipped entry has an
 * age. Memory growth compares with `offset 5m`, which has no sample in a Prometheus younger than five minutes: it is
 * queried as written (and found empty, as it must be), then with the offset shortened to 3 s, which exercises the
 * same selectors and the same `and on (job, instance)` match on the real labels.
 */

const SERVICE_ENV = { DRIFT_EVALUATE_SECONDS: '2', LOG_SHIP_INTERVAL_SECONDS: '0' };
const PREDICTIONS = 300;
const CONCURRENCY = 10;
/** The offset the memory growth is queried with here instead of its 5m (see above). */
const SHORT_OFFSET = '3s';

interface Rule {
  alert: string;
  expr: string;
}

interface PromRule {
  name: string;
  state: 'inactive' | 'pending' | 'firing';
  health: string;
  lastError?: string;
  labels: Record<string, string>;
}

interface ServedAlert {
  name: string;
  level: 'OK' | 'WARNING' | 'CRITICAL' | 'NO_DATA';
  value: number | null;
  unit: string;
}

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** The quantity a rule judges: its expression without the trailing `>= <threshold>` (alertRulesYaml's form). */
function quantityOf(expr: string): string {
  const match = /^\((.*)\) >= [0-9.e+-]+$/s.exec(expr);
  if (!match) {
    throw new Error(`not "(<quantity>) >= <threshold>": ${expr}`);
  }
  return match[1]!;
}

/** The index of the histogram bucket (LATENCY_BUCKETS in ms, then +Inf) a value in ms falls in. */
const bucketOf = (ms: number): number => {
  const i = LATENCY_BUCKETS.findIndex((le) => ms <= le * 1000);
  return i === -1 ? LATENCY_BUCKETS.length : i;
};
const bucketName = (i: number): string =>
  `(${i === 0 ? 0 : LATENCY_BUCKETS[i - 1]! * 1000}, ${i < LATENCY_BUCKETS.length ? LATENCY_BUCKETS[i]! * 1000 : '+Inf'}] ms`;

describe('The generated rules in a real Prometheus, scraping the service', () => {
  let service: ServiceProcess | undefined;
  let prometheus: ChildProcess | undefined;
  let prometheusExit: Promise<unknown> | undefined;
  let prometheusLog = '';
  let dir: string;
  let url: string;
  let prom: string;
  let rules: Rule[];
  /** Statuses other than 200 among the predictions sent. */
  let refused: number[] = [];

  async function query(promql: string): Promise<Sample[]> {
    const res = await fetch(`${prom}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as {
      status: string;
      error?: string;
      data?: { resultType: string; result: Sample[] };
    };
    if (body.status !== 'success' || body.data?.resultType !== 'vector') {
      throw new Error(`Prometheus refused ${promql}: ${body.error ?? body.data?.resultType}`);
    }
    return body.data.result;
  }

  /** The quantity's one value once it is a finite number (bounded wait); the last answer in the error otherwise. */
  const valueOf = (promql: string, timeoutMs = 15_000): Promise<number> =>
    waitFor(
      `a finite value of ${promql}`,
      async () => {
        const result = await query(promql);
        const value = result.length === 1 ? Number(result[0]!.value[1]) : Number.NaN;
        return Number.isFinite(value) ? value : false;
      },
      { timeoutMs, intervalMs: 250 },
    );

  const serviceAlerts = async (): Promise<ServedAlert[]> =>
    ((await (await fetch(`${url}/monitoring/alerts`)).json()) as { alerts: ServedAlert[] }).alerts;

  const predict = (i: number): Promise<Response> =>
    fetch(`${url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...EXAMPLE_REQUEST, AGE: 40 + (i % 40) }),
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lungcheck-prometheus-'));
    const env = { ...SERVICE_ENV, LOG_ARCHIVE_DIR: join(dir, 'archive') };
    service = startService(env);
    const yaml = alertRulesYaml(new AppConfig(validateEnv(env)));
    rules = (parse(yaml) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
    writeFileSync(join(dir, 'alerts.yml'), yaml);
    url = await service.url;
    const port = await freePort();
    prom = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s }',
        'rule_files: [alerts.yml]',
        'scrape_configs:',
        '  - job_name: lungcheck',
        `    static_configs: [{ targets: ['${new URL(url).host}'] }]`,
        '',
      ].join('\n'),
    );
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        `--storage.tsdb.path=${join(dir, 'tsdb')}`,
        '--log.level=warn',
      ],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout!.on('data', (chunk: Buffer) => (prometheusLog += chunk.toString()));
    prometheus.stderr!.on('data', (chunk: Buffer) => (prometheusLog += chunk.toString()));
    prometheusExit = new Promise((resolve) => prometheus!.once('close', resolve));
    await waitFor(
      'Prometheus to scrape the service (its target "up")',
      async () => {
        if (prometheus!.exitCode !== null) {
          throw new Error(`prometheus exited with ${prometheus!.exitCode}:\n${prometheusLog}`);
        }
        const res = await fetch(`${prom}/api/v1/targets`).catch(() => null);
        const targets = res?.ok
          ? ((await res.json()) as { data: { activeTargets: { health: string; lastError: string }[] } }).data
              .activeTargets
          : [];
        return targets.length === 1 && targets[0]!.health === 'up' ? targets : false;
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    // A first prediction creates the histograms' series; once Prometheus has scraped them, its rates cover the rest.
    const first = await predict(0);
    if (first.status !== 200) {
      throw new Error(`POST /predict answered ${first.status}: ${await first.text()}`);
    }
    await valueOf('sum(lungcheck_http_request_duration_seconds_bucket{route="/predict",le="+Inf"})');
    const statuses = await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, worker) => {
        const seen: number[] = [];
        for (let i = worker; i < PREDICTIONS; i += CONCURRENCY) {
          seen.push((await predict(i + 1)).status);
        }
        return seen;
      }),
    );
    refused = statuses.flat().filter((status) => status !== 200);
    // A scrape taken after the last prediction: Prometheus counts every row answered.
    const answered = PREDICTIONS + 1 - refused.length;
    await waitFor(
      `Prometheus to have scraped all ${answered} predictions`,
      async () => (await query('sum(lungcheck_predictions_total)'))[0]?.value[1] === String(answered),
      { timeoutMs: 10_000, intervalMs: 250 },
    );
  });

  afterAll(async () => {
    prometheus?.kill('SIGTERM');
    service?.child.kill('SIGTERM');
    await Promise.all([prometheusExit, service?.exit]);
    if (dir) {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers every prediction sent', () => {
    expect(refused).toEqual([]);
  });

  it("has a value for every rule's quantity on the real scrape (job and instance labels)", async () => {
    expect(rules.length).toBeGreaterThanOrEqual(ALERTS.length);
    const values: Record<string, number> = {};
    for (const rule of rules) {
      const quantity = quantityOf(rule.expr);
      if (quantity.includes('offset 5m')) {
        // Prometheus started seconds ago: nothing 5 minutes back, so the quantity as written is empty.
        expect(await query(quantity)).toEqual([]);
        values[rule.alert] = await valueOf(quantity.replace('offset 5m', `offset ${SHORT_OFFSET}`));
      } else {
        values[rule.alert] = await valueOf(quantity);
      }
    }
    process.stdout.write(`Prometheus's quantities: ${JSON.stringify(values)}\n`);
    expect(Object.keys(values)).toEqual(rules.map((r) => r.alert));
    // What came back is a figure of the traffic sent, not 0 or +Inf.
    expect(values.LungcheckCpuPerPredictionWarning).toBeGreaterThan(0);
    expect(values.LungcheckLatencyWarning).toBeGreaterThan(0);
    expect(values.LungcheckInferenceWarning).toBeGreaterThan(0);
    expect(values.LungcheckInferenceWarning).toBeLessThanOrEqual(values.LungcheckLatencyWarning!);
    expect(values.LungcheckShippingLagWarning).toBeGreaterThanOrEqual(0);
    expect(values.LungcheckInputDriftWarning).toBeGreaterThanOrEqual(0);
    expect([0, 1]).toContain(values.LungcheckPredictionDriftWarning);
  });

  it("computes the p95 latency within one histogram bucket of the service's latency_ms alert", async () => {
    const latency = quantityOf(rules.find((r) => r.alert === 'LungcheckLatencyWarning')!.expr);
    // At the same moment (no traffic meanwhile): Prometheus's p95 over 5 minutes and GET /monitoring/alerts.
    const [promP95, served] = await Promise.all([valueOf(latency), serviceAlerts()]);
    const alert = served.find((a) => a.name === 'latency_ms');
    expect(alert).toMatchObject({ unit: 'ms', value: expect.any(Number) as number });
    const serviceP95 = alert!.value!;
    process.stdout.write(
      `p95 latency: Prometheus ${promP95.toFixed(3)} ms in ${bucketName(bucketOf(promP95))}, service ` +
        `${serviceP95.toFixed(3)} ms in ${bucketName(bucketOf(serviceP95))}\n`,
    );
    expect(Math.abs(bucketOf(promP95) - bucketOf(serviceP95))).toBeLessThanOrEqual(1);
  });

  it('evaluates every rule without error, and fires (pending) exactly where the service says WARNING or CRITICAL', async () => {
    type Active = Record<string, string[]>;
    const severities = { OK: [], NO_DATA: [], WARNING: ['warning'], CRITICAL: ['critical', 'warning'] };
    let last: { health: string[]; prometheus: Active; service: Active } | undefined;
    const read = async (): Promise<typeof last> => {
      const res = await fetch(`${prom}/api/v1/rules`);
      const groups = ((await res.json()) as { data: { groups: { rules: PromRule[] }[] } }).data.groups;
      const loaded = groups.flatMap((g) => g.rules);
      const prometheus: Active = {};
      for (const rule of loaded) {
        const active = prometheus[rule.labels.alert_name] ?? [];
        prometheus[rule.labels.alert_name] = active;
        if (rule.state !== 'inactive') {
          active.push(rule.labels.severity);
          active.sort();
        }
      }
      const service = Object.fromEntries((await serviceAlerts()).map((a) => [a.name, severities[a.level]]));
      return {
        health: loaded.map((r) => `${r.name}: ${r.health}${r.lastError ? ` ${r.lastError}` : ''}`),
        prometheus,
        service,
      };
    };
    // Rules are evaluated every second, a moment after the scrape: wait (bounded) for both to have seen the same.
    await waitFor(
      "the rule states to match the service's levels",
      async () => {
        last = await read();
        return JSON.stringify(last!.prometheus) === JSON.stringify(last!.service);
      },
      { timeoutMs: 10_000, intervalMs: 250 },
    ).catch(() => undefined);
    expect(last!.health).toEqual(rules.map((r) => `${r.alert}: ok`));
    expect(last!.prometheus).toEqual(last!.service);
    process.stdout.write(
      `Active (pending or firing) severities, per alert: ${JSON.stringify(last!.prometheus)}\n`,
    );
  });
});
