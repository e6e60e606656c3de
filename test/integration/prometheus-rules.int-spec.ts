import type { NestExpressApplication } from '@nestjs/platform-express';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { parse } from 'yaml';
import { ALERTS } from '../../src/monitoring/alert.definitions';
import { EXAMPLE_REQUEST } from '../../src/prediction/predict-request.dto';
import { close, createTestApp, listen, ROOT } from '../e2e/support/test-app';

const RULES_DIR = join(ROOT, 'deploy/prometheus');

/** promtool in deploy/prometheus, with `input` on its stdin: its exit status and everything it printed. */
function promtool(args: string[], input?: string): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { cwd: RULES_DIR, input, encoding: 'utf8', timeout: 60_000 });
  if (run.error) {
    throw run.error;
  }
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

interface Rule {
  alert: string;
  expr: string;
}

const rules = (): Rule[] =>
  (
    parse(readFileSync(join(RULES_DIR, 'alerts.yml'), 'utf8')) as { groups: { rules: Rule[] }[] }
  ).groups.flatMap((g) => g.rules);

interface AlertTest {
  alertname: string;
  exp_alerts: unknown[] | null;
}

const ruleTests = (): AlertTest[] =>
  (
    parse(readFileSync(join(RULES_DIR, 'alerts.test.yml'), 'utf8')) as {
      tests: { alert_rule_test?: AlertTest[] }[];
    }
  ).tests.flatMap((t) => t.alert_rule_test ?? []);

/** The metric names a rule's expression reads: every series lungcheck serves is lungcheck_* or process_*. */
const metricsOf = (expr: string): string[] =>
  [...expr.matchAll(/\b((?:lungcheck|process)_[a-z0-9_]+)\b/g)].map((m) => m[1]!);

describe('deploy/prometheus/alerts.yml', () => {
  it('is a valid rules file (promtool check rules)', () => {
    const { status, output } = promtool(['check', 'rules', 'alerts.yml']);
    expect(rules().length).toBeGreaterThanOrEqual(ALERTS.length);
    expect({ status, output }).toEqual({
      status: 0,
      output: expect.stringContaining(`SUCCESS: ${rules().length} rules found`) as string,
    });
  });

  it('fires each alert above its thresholds and not below (promtool test rules alerts.test.yml)', () => {
    const { status, output } = promtool(['test', 'rules', 'alerts.test.yml']);
    expect(output).not.toContain('FAILED');
    expect({ status, output }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') as string });
  });

  it('has, in alerts.test.yml, a case where each rule fires and one where it stays silent', () => {
    const tests = ruleTests();
    const names = rules().map((r) => r.alert);
    expect(names.length).toBeGreaterThanOrEqual(ALERTS.length);
    const fires = names.filter((name) =>
      tests.some((t) => t.alertname === name && (t.exp_alerts?.length ?? 0) > 0),
    );
    const silent = names.filter((name) =>
      tests.some((t) => t.alertname === name && (t.exp_alerts?.length ?? 0) === 0),
    );
    expect(fires).toEqual(names);
    expect(silent).toEqual(names);
    // And nothing is tested that the rules do not have (a renamed rule would pass its silent cases vacuously).
    expect([...new Set(tests.map((t) => t.alertname))].filter((name) => !names.includes(name))).toEqual([]);
  });
});

describe('GET /metrics, scraped live', () => {
  let app: NestExpressApplication | undefined;
  let scrape: string;

  beforeAll(async () => {
    app = await createTestApp();
    const url = await listen(app);
    // Every kind of series: predictions (one and a batch) for the histograms, a health check, a 404, a 422.
    await request(url).post('/predict').send(EXAMPLE_REQUEST).expect(200);
    await request(url)
      .post('/predict/batch')
      .send({ instances: [EXAMPLE_REQUEST, { ...EXAMPLE_REQUEST, AGE: 41 }] })
      .expect(200);
    await request(url).get('/health').expect(200);
    await request(url).get('/no-such-page').expect(404);
    await request(url).post('/predict').send({}).expect(422);
    scrape = (
      await request(url)
        .get('/metrics')
        .expect(200)
        .expect('Content-Type', /text\/plain/)
    ).text;
  });
  afterAll(() => close(app));

  it('passes `promtool check metrics` (exit 0, nothing to say)', () => {
    expect(scrape).toMatch(/^lungcheck_http_request_duration_seconds_bucket\{.*route="\/predict".*\} [1-9]/m);
    expect(scrape).toMatch(/^lungcheck_model_inference_seconds_bucket\{.*\} [1-9]/m);
    expect(promtool(['check', 'metrics'], scrape)).toEqual({ status: 0, output: '' });
  });

  it('fails `promtool check metrics` on a total typed as a gauge (the check can fail)', () => {
    const broken = scrape.replace(
      '# TYPE lungcheck_predictions_total counter',
      '# TYPE lungcheck_predictions_total gauge',
    );
    expect(broken).not.toBe(scrape);
    const { status, output } = promtool(['check', 'metrics'], broken);
    expect(status).not.toBe(0);
    expect(output).toContain('lungcheck_predictions_total');
  });

  it('serves every metric the rules read', () => {
    const served = new Set([...scrape.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)[ {]/gm)].map((m) => m[1]!));
    // Each rule reads at least one metric, and the process series (Node's, not lungcheck_*) are among them.
    expect(rules().filter((r) => metricsOf(r.expr).length === 0)).toEqual([]);
    const named = new Set(rules().flatMap((r) => metricsOf(r.expr)));
    expect([...named]).toEqual(
      expect.arrayContaining([
        'process_cpu_seconds_total',
        'process_resident_memory_bytes',
        'lungcheck_predictions_total',
      ]),
    );
    expect([...named].filter((name) => !served.has(name))).toEqual([]);
  });
});
