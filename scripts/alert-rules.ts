/**
 * `npm run alerts:rules`: rewrites deploy/prometheus/alerts.yml from the alert table (src/monitoring/alert.definitions.ts)
 * with the thresholds of the environment it runs in (ALERT_*, DRIFT_SHARE; the schema's defaults where unset).
 * `src/monitoring/alert-rules.spec.ts` fails when the committed file differs from the defaults' rules, so run this
 * (with no ALERT_* set) after changing the table or a default threshold.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppConfig } from '../src/config/app-config';
import { InvalidConfigError, validateEnv } from '../src/config/env.schema';
import { alertRulesYaml } from '../src/monitoring/alert-rules';

const path = join(__dirname, '..', 'deploy', 'prometheus', 'alerts.yml');
try {
  const yaml = alertRulesYaml(new AppConfig(validateEnv(process.env)));
  writeFileSync(path, yaml);
  console.log(`deploy/prometheus/alerts.yml has ${(yaml.match(/^ {6}- alert: /gm) ?? []).length} rules`);
} catch (error) {
  if (!(error instanceof InvalidConfigError)) {
    throw error;
  }
  console.error(error.message);
  process.exitCode = 1;
}
