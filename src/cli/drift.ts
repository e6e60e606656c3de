import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Command, InvalidArgumentError, Option } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PACKAGE } from '../common/package-info';
import type { AppConfig } from '../config/app-config';
import { ConfigModule, loadConfig } from '../config/config.module';
import { InvalidConfigError } from '../config/env.schema';
import { createElasticsearchClient } from '../elasticsearch/elasticsearch-client.factory';
import type { ModelCard } from '../model-pool/model-card';
import { chooseDefaultModel, discoverModels, readModelCard } from '../model-pool/model-files';
import { LogStore } from '../log-store/log-store';
import { LogStoreModule } from '../log-store/log-store.module';
import { redisReady } from '../redis/redis-client.factory';
import { RedisConnection } from '../redis/redis.module';
import { detectDrift, DriftReport } from '../monitoring/drift.engine';
import { cardReference } from '../monitoring/drift.reference';
import { predictionWindow, type WindowRow } from '../monitoring/drift.window';
import { archiveWindow, elasticsearchWindow } from '../monitoring/drift.sources';
import { driftPage } from '../monitoring/monitoring.pages';
import { ViewEngine } from '../web/view-engine';
import { positiveInt } from './cli-arguments';

/**
 * `npm run drift -- --source redis|es|file [--out report.html]`: the drift report of GET /monitoring/drift, built
 * offline from the service's Redis log view, from the message index in Elasticsearch, or from an NDJSON archive,
 * with the service's configuration (.env and environment) for the addresses, the window and the thresholds.
 * Exit code 0 when the report is written (whatever it says), 1 when the source cannot be read, 2 for bad options.
 */

const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

/** The service's log store, as the service builds it (the Redis Cluster hash tag included). */
@Module({ imports: [ConfigModule, LogStoreModule] })
class DriftCommandModule {}

interface DriftOptions {
  source: 'redis' | 'es' | 'file';
  input?: string;
  index?: string;
  model?: string;
  window?: number;
  since?: string;
  out: string;
  json?: string;
}

const isoTime = (value: string): string => {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    throw new InvalidArgumentError('expected an ISO-8601 date or date-time, e.g. 2026-12-01T08:00:00Z');
  }
  return new Date(ms).toISOString();
};

/** The named model's card, or the default one (as the service chooses it), checked as the service checks it. */
export function referenceCard(config: AppConfig, name?: string): ModelCard {
  const models = discoverModels(config.model.dir, config.model.path).map((files) => ({
    name: files.name,
    explicit: files.explicit,
    card: readModelCard(files, readFileSync(files.onnxPath)),
  }));
  const wanted = name ?? chooseDefaultModel(models).name;
  const chosen = models.find((m) => m.name === wanted);
  if (!chosen) {
    throw new Error(
      name
        ? `no model "${name}" in ${config.model.dir} (found: ${models.map((m) => m.name).join(', ') || 'none'})`
        : `no model card in ${config.model.dir}`,
    );
  }
  return chosen.card;
}

async function readWindow(config: AppConfig, options: DriftOptions, size: number): Promise<WindowRow[]> {
  const messageIndex = config.shipping.indexes.message;
  switch (options.source) {
    case 'redis': {
      if (!config.logging.redis) {
        throw new Error(
          'no Redis configured: set REDIS_URL or REDIS_HOST (the service must use the same one)',
        );
      }
      const app = await NestFactory.createApplicationContext(DriftCommandModule, {
        logger: ['error'],
        abortOnError: false,
      });
      try {
        const client = app.get(RedisConnection).client;
        if (client) {
          await redisReady(client, 10_000);
        }
        const { logs } = await app.get(LogStore).list({ limit: config.logging.viewMaxSize, offset: 0 });
        return predictionWindow(logs, size, options.since);
      } finally {
        await app.close();
      }
    }
    case 'es': {
      if (!config.shipping.elasticsearch) {
        throw new Error('no Elasticsearch configured: set ES_URL (or ES_HOST)');
      }
      const client = createElasticsearchClient(config.shipping.elasticsearch);
      try {
        return await elasticsearchWindow(client, options.index ?? `${messageIndex}*`, size, options.since);
      } finally {
        await client.close();
      }
    }
    case 'file':
      return archiveWindow(options.input ?? config.shipping.archiveDir, messageIndex, size, options.since);
  }
}

export async function runDrift(options: DriftOptions): Promise<{ report: DriftReport; html: string }> {
  const config = loadConfig();
  const settings = { ...config.drift, windowSize: options.window ?? config.drift.windowSize };
  const card = referenceCard(config, options.model);
  const rows = await readWindow(config, options, settings.windowSize);
  const report = detectDrift(cardReference(card), rows, settings);
  return { report, html: new ViewEngine().render('drift', driftPage(report, [], PACKAGE.version)) };
}

const program = new Command('drift')
  .description('Build the drift report (HTML, optionally JSON) from the logged predictions, offline.')
  .addOption(
    new Option('--source <source>', 'where the predictions are read')
      .choices(['redis', 'es', 'file'])
      .makeOptionMandatory(),
  )
  .option('--input <path>', 'file source: an NDJSON archive folder or file (default LOG_ARCHIVE_DIR)')
  .option('--index <name>', 'es source: the message index or pattern (default ES_INDEX_MESSAGE*)')
  .option('--model <name>', 'the model whose training data is the reference (default: the default model)')
  .option('--window <n>', 'newest predictions to judge (default DRIFT_WINDOW_SIZE)', positiveInt)
  .option('--since <time>', 'judge every prediction since this time instead', isoTime)
  .option('--out <file>', 'the HTML report', 'drift-report.html')
  .option('--json <file>', 'also write the report as JSON')
  .exitOverride()
  .action(async (options: DriftOptions) => {
    const { report, html } = await runDrift(options);
    writeFileSync(resolve(options.out), html);
    if (options.json) {
      writeFileSync(resolve(options.json), `${JSON.stringify(report, null, 2)}\n`);
    }
    console.log(`${report.verdict} Report written to ${options.out}.`);
  });

if (require.main === module) {
  program.parseAsync().catch((error: unknown) => {
    const code = (error as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      // commander has printed the message (or the help).
      process.exitCode = code === 'commander.helpDisplayed' || code === 'commander.version' ? 0 : EXIT_USAGE;
      return;
    }
    console.error(
      error instanceof InvalidConfigError
        ? error.message
        : `drift: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exitCode = error instanceof InvalidConfigError ? EXIT_USAGE : EXIT_FAILED;
  });
}
