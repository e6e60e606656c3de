/**
 * What `?explain=` adds to a prediction, measured on the real code and the committed models, side by side in one
 * run: for each model, (1) the explainer alone (answers → explanation of the 15 answers and 29 inputs), and (2) a
 * whole in-process prediction through PredictionService (features, micro-batcher, session pool, onnxruntime,
 * decision) without and with the explanation. Variants are interleaved round by round; medians of the rounds.
 * Usage: npm run bench:explanation -- [--rounds 30] [--requests 2000]
 */
import { Logger } from '@nestjs/common';
import { Command } from 'commander';
import { join } from 'node:path';
import { AppConfig } from '../src/config/app-config';
import { validateEnv } from '../src/config/env.schema';
import { INPUT_FIELDS, SurveyAnswers } from '../src/features/features';
import { ModelRegistry } from '../src/model-pool/model-registry';
import { OnnxSessionFactory } from '../src/model-pool/onnx-session.factory';
import { ExplainRequest, NO_EXPLANATION, PredictionService } from '../src/prediction/prediction.service';
import { ShadowService } from '../src/shadow/shadow.service';

const EXPLAIN: ExplainRequest = { detail: 'answers', required: true };

/** A fixed spread of answer sets, cycled through so that no single path through the trees is measured. */
const ROWS: SurveyAnswers[] = Array.from(
  { length: 64 },
  (_, k) =>
    Object.fromEntries(
      INPUT_FIELDS.map((f, i) => [f, f === 'AGE' ? 25 + ((k * 11) % 70) : (k >> (i % 6)) & 1]),
    ) as SurveyAnswers,
);

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

let sink = 0;

async function main(): Promise<void> {
  const opts = new Command()
    .option('--rounds <n>', 'measured rounds (each variant once per round, in rotating order)', '30')
    .option('--requests <n>', 'calls per round and variant', '2000')
    .parse()
    .opts<{ rounds: string; requests: string }>();
  const rounds = Number(opts.rounds);
  const requests = Number(opts.requests);
  Logger.overrideLogger(false);
  const config = new AppConfig(validateEnv({ MODEL_DIR: join(__dirname, '../model'), MODEL_POOL_SIZE: '1' }));
  const registry = new ModelRegistry(config, new OnnxSessionFactory());
  await registry.onModuleInit();
  const service = new PredictionService(registry, new ShadowService(config, registry));

  const variants: { label: string; run: (i: number) => unknown }[] = [];
  for (const name of registry.names()) {
    const explain = registry.get(name).explain!;
    variants.push(
      { label: `${name}: explainer alone`, run: (i) => (sink += explain(ROWS[i % ROWS.length]).output) },
      {
        label: `${name}: prediction`,
        run: (i) => service.predict(ROWS[i % ROWS.length], name, NO_EXPLANATION),
      },
      {
        label: `${name}: prediction + explain=true`,
        run: (i) => service.predict(ROWS[i % ROWS.length], name, EXPLAIN),
      },
    );
  }
  /** Microseconds per call over one batch of calls. */
  const batch = async (run: (i: number) => unknown): Promise<number> => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < requests; i++) {
      await run(i);
    }
    return Number(process.hrtime.bigint() - started) / requests / 1000;
  };
  for (const v of variants) {
    await batch(v.run); // warm-up
  }
  const samples = variants.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < variants.length; k++) {
      const index = (round + k) % variants.length;
      samples[index].push(await batch(variants[index].run));
    }
  }
  await registry.onModuleDestroy();
  const us = samples.map(median);
  console.log(`Node ${process.version}, ${rounds} rounds × ${requests} calls, medians per call\n`);
  variants.forEach((v, i) => console.log(`${v.label.padEnd(48)} ${us[i].toFixed(2).padStart(9)} µs`));
  console.log('');
  for (let i = 0; i < variants.length; i += 3) {
    const name = variants[i].label.split(':')[0];
    const added = us[i + 2] - us[i + 1];
    console.log(
      `${`${name}: explain=true adds`.padEnd(48)} ${added.toFixed(2).padStart(9)} µs ` +
        `(×${(us[i + 2] / us[i + 1]).toFixed(2)} the prediction)`,
    );
  }
  if (sink === Number.MIN_VALUE) {
    console.log(sink);
  }
}

void main();
