import { errorText } from '../common/error-text';
import { loadConfig } from '../config/config.module';
import { createElasticsearchClient } from '../elasticsearch/elasticsearch-client.factory';
import { runMigration } from '../migration/migration.command';

/**
 * `npm run migrate -- <command> [options]` (`node dist/cli/migrate.js` in the image): backs up, restores and moves
 * the Elasticsearch indexes and Kibana objects, and loads the NDJSON archive or the reference's exports. The
 * commands live in src/migration/; `--help` lists them.
 */
runMigration(process.argv, {
  loadConfig: () => loadConfig(),
  createClient: createElasticsearchClient,
  fetch: globalThis.fetch,
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  progressStream: process.stderr.isTTY ? process.stderr : undefined,
  now: () => new Date(),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`migrate: ${errorText(error)}`);
    process.exitCode = 1;
  },
);
