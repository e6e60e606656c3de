import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { parse } from 'yaml';
import { close, createTestApp, listen, ROOT } from '../e2e/support/test-app';
import { EXAMPLE_REQUEST } from '../../src/prediction/predict-request.dto';

const RULES_DIR = join(ROOT, 'deploy/prometheus');

const promtool = (...args: string[]): string =>
  execFileSync('promtool', args, { cwd: RULES_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

interface Rule {
  alert: string;
  expr: string;
}

const rules = (): Rule[] =>
  (
    parse(readFileSync(join(RULES_DIR, 'alerts.yml'), 'utf8')) as { groups: { rules: Rule[] }[] }
  ).groups.flatMap((g) => g.rules);

describe('deploy/prometheus/alerts.yml', () => {
  it('is a valid rules file (promtool check rules)', () => {
    expect(promtool('check', 'rules', 'alerts.yml')).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('fires each alert above its threshold and not below (promtool test rules)', () => {
    expect(promtool('test', 'rules', 'alerts.test.yml')).toContain('SUCCESS');
  });

  it('has a warning and a critical rule for each ALERT_* pair, with their default thresholds', () => {
    const byName = Object.fromEntries(rules().map((r) => [r.alert, r.expr]));
    expect(byName.LungcheckLatencyHigh).toMatch(/> 0\.1$/);
    expect(byName.LungcheckLatencyCritical).toMatch(/> 0\.2$/);
    expect(byName.LungcheckInferenceSlow).toMatch(/> 0\.05$/);
    expect(byName.LungcheckInferenceCritical).toMatch(/> 0\.1$/);
    expect(byName.LungcheckCpuPerPredictionHigh).toMatch(/> 0\.1$/);
    expect(byName.LungcheckCpuPerPredictionCritical).toMatch(/> 0\.2$/);
    expect(byName.LungcheckMemoryGrowing).toMatch(/> 50 \* 1024 \* 1024$/);
    expect(byName.LungcheckMemoryGrowingFast).toMatch(/> 100 \* 1024 \* 1024$/);
    expect(byName.LungcheckShippingLagging).toMatch(/> 300$/);
    expect(byName.LungcheckShippingStalled).toMatch(/> 900$/);
    expect(byName.LungcheckDataDrift).toBeDefined();
  });

  it('names only metrics that GET /metrics serves', async () => {
    const app = await createTestApp();
    try {
      const url = await listen(app);
      await request(url).post('/predict').send(EXAMPLE_REQUEST).expect(200);
      const served = new Set(
        [
          ...(await request(url).get('/metrics').expect(200)).text.matchAll(/^([a-z_:][a-z0-9_:]*)[ {]/gm),
        ].map((m) => m[1]),
      );
      const named = new Set(
        rules().flatMap((r) =>
          [...r.expr.matchAll(/\b(lungcheck_[a-z0-9_]+|process_[a-z0-9_]+)\b/g)].map((m) => m[1]),
        ),
      );
      expect(named.size).toBeGreaterThan(5);
      expect([...named].filter((name) => !served.has(name!))).toEqual([]);
    } finally {
      await close(app);
    }
  });
});
