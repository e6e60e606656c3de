import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { AppConfig } from '../config/app-config';
import { validateEnv } from '../config/env.schema';
import { ALERTS, datasetDriftInputs } from './alert.definitions';
import { alertRulesYaml, ruleName } from './alert-rules';

const COMMITTED = join(__dirname, '../../deploy/prometheus/alerts.yml');

interface Rule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

const configOf = (env: Record<string, string> = {}): AppConfig => new AppConfig(validateEnv(env));
const rulesOf = (yaml: string): Rule[] =>
  (parse(yaml) as { groups: { name: string; rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const byName = (yaml: string): Map<string, Rule> => new Map(rulesOf(yaml).map((r) => [r.alert, r]));

/** The first line where two texts differ, for a failure that says where. */
function firstDifference(committed: string, generated: string): string {
  const a = committed.split('\n');
  const b = generated.split('\n');
  const line = a.findIndex((text, i) => text !== b[i]);
  const at = line === -1 ? a.length : line;
  return `line ${at + 1}:\n  committed: ${a[at] ?? '(end of file)'}\n  generated: ${b[at] ?? '(end of file)'}`;
}

describe('deploy/prometheus/alerts.yml', () => {
  it('is what `npm run alerts:rules` writes with the default configuration', () => {
    const committed = readFileSync(COMMITTED, 'utf8');
    const generated = alertRulesYaml(configOf());
    const stale =
      committed === generated
        ? null
        : 'deploy/prometheus/alerts.yml differs from the alert table (src/monitoring/alert.definitions.ts) with ' +
          `the default thresholds: run \`npm run alerts:rules\` and commit the file. First difference at ${firstDifference(committed, generated)}`;
    expect(stale).toBeNull();
  });
});

describe(alertRulesYaml.name, () => {
  const defaults = configOf();
  const rules = byName(alertRulesYaml(defaults));

  it('writes one group whose rules are, in the table order, each alert at warning then (if any) critical', () => {
    const expected = ALERTS.flatMap((alert) => [
      ruleName(alert, 'warning'),
      ...(alert.thresholds(defaults).critical === null ? [] : [ruleName(alert, 'critical')]),
    ]);
    const groups = (parse(alertRulesYaml(defaults)) as { groups: { name: string }[] }).groups;
    expect(groups.map((g) => g.name)).toEqual(['lungcheck']);
    expect([...rules.keys()]).toEqual(expected);
    // Eight alerts, one of them (prediction drift) without a critical level.
    expect(expected).toHaveLength(15);
    expect(rules.has('LungcheckPredictionDriftCritical')).toBe(false);
  });

  it.each(ALERTS.map((alert) => [alert.name, alert] as const))(
    '%s: its rules judge its PromQL against its thresholds, with its `for:` and labels',
    (_name, alert) => {
      const { warning, critical } = alert.thresholds(defaults);
      const levels = [
        ['warning', warning],
        ['critical', critical],
      ] as const;
      for (const [severity, threshold] of levels) {
        const rule = rules.get(ruleName(alert, severity));
        if (threshold === null) {
          expect(rule).toBeUndefined();
          continue;
        }
        expect(rule).toEqual({
          alert: ruleName(alert, severity),
          expr: `(${alert.promql}) >= ${threshold}`,
          for: alert.for,
          labels: { severity, alert_name: alert.name },
          annotations: { summary: expect.stringContaining(alert.quantity) as string },
        });
        const variable = severity === 'warning' ? alert.variables.warning : alert.variables.critical;
        expect(rule!.annotations.summary).toContain(
          `, at or above ${threshold}${['ms', 'MB', 's'].includes(alert.unit) ? ` ${alert.unit}` : ''} (${variable})`,
        );
        expect(rule!.annotations.summary).toContain('$value');
      }
    },
  );

  it('takes the default thresholds of the environment schema', () => {
    const ends = (name: string): string => rules.get(name)!.expr.replace(/^.* >= /s, '');
    expect(ends('LungcheckLatencyWarning')).toBe('100');
    expect(ends('LungcheckLatencyCritical')).toBe('200');
    expect(ends('LungcheckInferenceWarning')).toBe('50');
    expect(ends('LungcheckInferenceCritical')).toBe('100');
    expect(ends('LungcheckCpuPerPredictionWarning')).toBe('100');
    expect(ends('LungcheckCpuPerPredictionCritical')).toBe('200');
    expect(ends('LungcheckMemoryGrowthWarning')).toBe('50');
    expect(ends('LungcheckMemoryGrowthCritical')).toBe('100');
    expect(ends('LungcheckShippingLagWarning')).toBe('300');
    expect(ends('LungcheckShippingLagCritical')).toBe('900');
    expect(ends('LungcheckInputDriftWarning')).toBe('1');
    // DRIFT_SHARE 0.5 of the 15 inputs, rounded up.
    expect(ends('LungcheckInputDriftCritical')).toBe('8');
    expect(ends('LungcheckPredictionDriftWarning')).toBe('1');
  });

  it('follows the environment: ALERT_LATENCY_MS_WARNING=150 gives 150 in the latency warning rule, and only there', () => {
    const changed = byName(alertRulesYaml(configOf({ ALERT_LATENCY_MS_WARNING: '150' })));
    expect(changed.get('LungcheckLatencyWarning')!.expr).toMatch(/\) >= 150$/);
    expect(changed.get('LungcheckLatencyWarning')!.annotations.summary).toContain('at or above 150 ms');
    for (const [name, rule] of changed) {
      if (name !== 'LungcheckLatencyWarning') {
        expect(rule).toEqual(rules.get(name));
      }
    }
  });

  // Every ALERT_* variable named by a rule, set to a figure of its own (a fraction, to see it is not rounded).
  const variables = ALERTS.flatMap((alert) =>
    (['warning', 'critical'] as const)
      .map((severity) => [ruleName(alert, severity), alert.variables[severity]] as const)
      .filter((pair): pair is readonly [string, string] => pair[1]?.startsWith('ALERT_') ?? false),
  );

  it('names ten ALERT_* variables, one per rule', () => {
    expect(variables).toHaveLength(10);
    expect(new Set(variables.map(([, variable]) => variable)).size).toBe(10);
  });

  it.each(variables)('%s takes its threshold from %s', (name, variable) => {
    const rule = byName(alertRulesYaml(configOf({ [variable]: '123.25' })))!.get(name)!;
    expect(rule.expr).toMatch(/\) >= 123\.25$/);
    expect(rule.annotations.summary).toContain(`at or above 123.25`);
    expect(rules.get(name)!.expr).not.toMatch(/>= 123\.25$/);
  });

  it('takes the critical number of drifted inputs from DRIFT_SHARE', () => {
    const config = configOf({ DRIFT_SHARE: '0.2' });
    expect(datasetDriftInputs(config)).toBe(3);
    expect(byName(alertRulesYaml(config)).get('LungcheckInputDriftCritical')!.expr).toBe(
      '(max(lungcheck_drift_features)) >= 3',
    );
  });
});
