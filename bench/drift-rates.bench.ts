/**
 * `npm run bench:drift -- [--windows N] [--seeds 1,2,3,4,5]`: the drift verdicts' false-alarm and detection rates
 * over many seeded windows of 500 drawn as real traffic would be (each from its own bootstrap population of the
 * training patients; test/support/drift/calm-windows.ts), for each model and seed, as docs/monitoring.md reports them.
 * It reports; it never fails. The unit test (src/monitoring/drift.engine.spec.ts) holds the bounds on one seed.
 */
import { AppConfig } from '../src/config/app-config';
import { validateEnv } from '../src/config/env.schema';
import { cardReference } from '../src/monitoring/drift.reference';
import { driftRates, trainingPatients } from '../test/support/drift/calm-windows';

const arg = (name: string, fallback: string): string => {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : (process.argv[at + 1] ?? fallback);
};
const windows = Number(arg('windows', '1000'));
const seeds = arg('seeds', '1,2,3,4,5').split(',').map(Number);
const pct = (share: number): string => `${(share * 100).toFixed(1)} %`;

async function main(): Promise<void> {
  const settings = new AppConfig(validateEnv({})).drift;
  const started = Date.now();
  console.log(
    `${windows} windows of 500 per row; DRIFT_P_VALUE ${settings.pValue.drift}, Holm over 15 inputs\n`,
  );
  console.log('| model | seed | worst input | any input | data set | predictions | AGE +4 y flagged |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const model of ['logistic_regression', 'random_forest']) {
    const { card, patients } = await trainingPatients(model);
    const reference = cardReference(card);
    for (const seed of seeds) {
      const calm = driftRates(reference, patients, settings, { windows, seed, size: 500 });
      const older = driftRates(reference, patients, settings, {
        windows,
        seed: seed + 1000,
        size: 500,
        ageShift: 4,
      });
      const [worst, rate] = Object.entries(calm.perInput).sort(([, a], [, b]) => b - a)[0]!;
      console.log(
        `| ${model} | ${seed} | ${worst} ${pct(rate)} | ${pct(calm.anyInput)} | ${pct(calm.dataset)} | ` +
          `${pct(calm.prediction)} | ${pct(older.perInput.AGE ?? 0)} |`,
      );
    }
  }
  console.log(
    `\n${((Date.now() - started) / 1000).toFixed(1)} s, node ${process.version}, ${new Date().toISOString()}`,
  );
}

void main();
