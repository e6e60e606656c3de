import { Command, Option } from 'commander';
import { fraction, positiveInt } from './cli-arguments';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { calibrationChart } from '../training/calibration-chart';
import { DEFAULT_TRAIN_OPTIONS, trainModels, writeModelDirectory } from '../training/trainer';

/** `npm run train -- [options]`: retrains every model family from the survey data and rewrites the model directory. */

const d = DEFAULT_TRAIN_OPTIONS;
const program = new Command('train')
  .description(
    'Train the lung-cancer risk models and write <name>.onnx + <name>.card.json into the model directory.',
  )
  .option('--data <file>', 'survey CSV', 'data/survey_lung_cancer.csv')
  .option('--out <dir>', 'model directory', 'model')
  .option('--seed <n>', 'seed of the CV splits and the forest', positiveInt, d.seed)
  .option('--folds <n>', 'stratified folds', positiveInt, d.folds)
  .option('--repeats <n>', 'CV repeats', positiveInt, d.repeats)
  .addOption(
    new Option('--threshold-rule <rule>', 'rule choosing the decision threshold on out-of-fold probabilities')
      .choices(['f2', 'f1', 'youden'])
      .default(d.thresholdRule),
  )
  .option(
    '--min-specificity <p>',
    'thresholds below this out-of-fold specificity are not candidates',
    fraction,
    d.minSpecificity,
  )
  .option('--trees <n>', 'random-forest trees', positiveInt, d.trees)
  .action((opts: Record<string, string | number>) => {
    const started = process.hrtime.bigint();
    const { dataset, models } = trainModels({
      ...d,
      dataFile: resolve(String(opts.data)),
      seed: Number(opts.seed),
      folds: Number(opts.folds),
      repeats: Number(opts.repeats),
      thresholdRule: opts.thresholdRule as typeof d.thresholdRule,
      minSpecificity: Number(opts.minSpecificity),
      trees: Number(opts.trees),
    });
    const files = writeModelDirectory(String(opts.out), models);
    const chart = join(String(opts.out), 'calibration.svg');
    writeFileSync(chart, `${calibrationChart(models.map((m) => m.card)).svg}\n`);
    files.push(chart);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    console.log(
      `${dataset.file}: ${dataset.rowsRead} rows, ${dataset.rows.length} after removing ${dataset.rowsRead - dataset.rows.length} duplicates`,
    );
    for (const { card } of models) {
      const m = card.cv.metrics;
      const f = (k: keyof typeof m): string => `${m[k].mean.toFixed(3)} ± ${m[k].std.toFixed(3)}`;
      console.log(
        `${card.default ? '*' : ' '} ${card.name}@${card.version}  ROC-AUC ${f('roc_auc')}  PR-AUC ${f('pr_auc')}  ` +
          `Brier ${f('brier')} (constant ${card.cv.baseline_brier.toFixed(3)})  bal.acc ${f('balanced_accuracy')}  ` +
          `threshold ${card.threshold.value} (${card.threshold.rule}: recall ${card.threshold.recall.toFixed(3)}, ` +
          `specificity ${card.threshold.specificity.toFixed(3)})`,
      );
    }
    console.log(`wrote ${files.length} files in ${seconds.toFixed(1)} s (* = default model)`);
  });

try {
  program.parse();
} catch (error) {
  console.error(`train: ${(error as Error).message}`);
  process.exitCode = 1;
}
