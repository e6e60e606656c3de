import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SURVEY_DATA } from '../../test/fixtures/survey-data';

const ROOT = join(__dirname, '../..');
const TS_NODE = join(ROOT, 'node_modules/.bin/ts-node');

/** Runs `npm run train`'s command line the way npm does, from the repository root. */
function train(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(TS_NODE, ['--transpile-only', 'src/cli/train.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('train command', () => {
  const root = mkdtempSync(join(tmpdir(), 'lungcheck-train-cli-'));

  it('trains with the given flags into --out and reports the figures', () => {
    const out = join(root, 'fresh');
    const run = train(
      ...['--data', SURVEY_DATA, '--out', out, '--folds', '2', '--repeats', '1', '--trees', '3'],
      ...['--threshold-rule', 'youden', '--seed', '7'],
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/309 rows, 276 after removing 33 duplicates/);
    expect(readdirSync(out).sort()).toEqual([
      'calibration.svg',
      'logistic_regression.card.json',
      'logistic_regression.onnx',
      'random_forest.card.json',
      'random_forest.onnx',
    ]);
    const card = JSON.parse(readFileSync(join(out, 'random_forest.card.json'), 'utf8')) as {
      threshold: { rule: string };
      cv: { folds: number; repeats: number; seed: number };
      hyperparameters: { trees: number };
    };
    expect(card.threshold.rule).toBe('youden');
    expect(card.cv).toMatchObject({ folds: 2, repeats: 1, seed: 7 });
    expect(card.hyperparameters.trees).toBe(3);
    expect(readFileSync(join(out, 'calibration.svg'), 'utf8')).toMatch(
      /^<svg [^]*data-series="random_forest \(ECE /,
    );
  });

  it('stops on a malformed file with its name, line and column, leaving the model directory as it was', () => {
    const out = join(root, 'kept');
    mkdirSync(out);
    writeFileSync(join(out, 'logistic_regression.onnx'), 'previous model');
    const bad = join(root, 'bad.csv');
    const header = readFileSync(SURVEY_DATA, 'utf8').split(/\r?\n/)[0];
    writeFileSync(
      bad,
      `${header}\nM,50,1,1,1,1,1,1,1,1,1,1,1,1,1,YES\nF,sixty,1,2,2,1,1,2,1,2,2,2,2,2,2,NO\n`,
    );
    const run = train('--data', bad, '--out', out, '--folds', '2', '--repeats', '1', '--trees', '3');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`${bad}: line 3, column "AGE": "sixty" is not an integer age`);
    expect(readdirSync(out)).toEqual(['logistic_regression.onnx']);
    expect(readFileSync(join(out, 'logistic_regression.onnx'), 'utf8')).toBe('previous model');
  });

  it('refuses an unknown threshold rule', () => {
    const run = train('--threshold-rule', 'accuracy', '--out', join(root, 'never'));
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/--threshold-rule.*accuracy.*f2, f1, youden/s);
    expect(readdirSync(root)).not.toContain('never');
  });
});
