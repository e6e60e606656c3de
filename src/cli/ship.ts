import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Command } from 'commander';
import { logLevels } from '../config/app-config';
import { ConfigModule, loadConfig } from '../config/config.module';
import { InvalidConfigError } from '../config/env.schema';
import { LogShippingCoreModule } from '../log-shipping/log-shipping.module';
import { MAX_BATCHES_PER_RUN, type ShippingRunReport } from '../log-shipping/log-shipping.run';
import { LogShippingService } from '../log-shipping/log-shipping.service';
import { RedisConnection } from '../redis/redis.module';
import { redisReady } from '../redis/redis-client.factory';

/**
 * `npm run ship -- [--once] [--json]`: ships the queued log entries with the service's own code and configuration
 * (.env and environment), without the HTTP server or the schedule. Exit code 1 when something is left unshipped.
 */

@Module({ imports: [ConfigModule, LogShippingCoreModule] })
class ShipCommandModule {}

/** How long to wait for Redis to answer before giving up (the service itself would just retry on its next tick). */
const REDIS_READY_TIMEOUT_MS = 10_000;

/** The connection fails commands fast while it is not ready (no offline queue): a one-shot command waits for it. */
async function waitForRedis(app: INestApplicationContext): Promise<void> {
  const client = app.get(RedisConnection).client;
  if (client) {
    await redisReady(client, REDIS_READY_TIMEOUT_MS);
  }
}

/** Enough runs to drain a full queue (LOG_BUFFER_MAX) at the smallest batch size, never an endless loop. */
const MAX_RUNS = 10_000;

function describeRun(report: ShippingRunReport): string {
  const documents = Object.entries(report.documents)
    .map(([index, n]) => `${index} ${n}`)
    .join(', ');
  const lines = [
    `${report.outcome}: ${report.entries_shipped} entries shipped to ${report.sink} (${report.target}) in ` +
      `${report.batches} batch(es), ${report.duration_ms} ms`,
    `  documents: ${documents || 'none'}`,
    `  dead-lettered: ${report.dead_lettered}, left queued for a retry: ${report.entries_retrying}`,
  ];
  if (report.error) {
    lines.push(`  error: ${report.error}`);
  }
  return lines.join('\n');
}

/** Exit code of a command that cannot do anything useful as configured. */
const EXIT_USAGE = 2;

async function ship(options: { once?: boolean; json?: boolean }): Promise<number> {
  const config = loadConfig();
  if (!config.logging.redis) {
    console.error(
      "ship: no Redis configured: the service's in-process log store cannot be read from another process; " +
        'set REDIS_HOST, or use POST /logs/ship on the running service',
    );
    return EXIT_USAGE;
  }
  const app = await NestFactory.createApplicationContext(ShipCommandModule, {
    // This command prints its own report; the service's info lines would only interleave with it.
    logger: logLevels(config.logLevel).filter((level) => level !== 'log'),
    abortOnError: false,
  });
  try {
    await waitForRedis(app);
    const shipping = app.get(LogShippingService);
    const reports: ShippingRunReport[] = [];
    for (let run = 0; run < (options.once ? 1 : MAX_RUNS); run += 1) {
      const report = await shipping.ship('manual');
      reports.push(report);
      if (report.outcome !== 'shipped') {
        break;
      }
    }
    const status = await shipping.status();
    if (options.json) {
      console.log(JSON.stringify({ runs: reports, status }, null, 2));
    } else {
      reports.forEach((r) => console.log(describeRun(r)));
      console.log(
        `pending now: ${status.pending ?? 'unknown'} (dropped before shipping: ${status.dropped ?? 'unknown'})`,
      );
    }
    const last = reports[reports.length - 1];
    return last && (last.outcome === 'shipped' || last.outcome === 'idle') ? 0 : 1;
  } finally {
    await app.close();
  }
}

const program = new Command('ship')
  .description(
    'Ship the queued log entries to Elasticsearch (or to NDJSON files when no cluster is configured).',
  )
  .option(
    '--once',
    `one run (up to ${MAX_BATCHES_PER_RUN} batches of LOG_SHIP_BATCH_SIZE) instead of running until the queue is empty`,
  )
  .option('--json', 'print the run reports and the shipping status as JSON')
  .action(async (options: { once?: boolean; json?: boolean }) => {
    process.exitCode = await ship(options);
  });

program.parseAsync().catch((error: unknown) => {
  console.error(
    error instanceof InvalidConfigError
      ? error.message
      : `ship: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exitCode = 1;
});
