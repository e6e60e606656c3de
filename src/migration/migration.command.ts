import type { Client } from '@elastic/elasticsearch';
import { Command, CommanderError, Option } from 'commander';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorText } from '../common/error-text';
import { redactedNode } from '../log-shipping/elasticsearch-log-sink';
import type { AppConfig, ElasticsearchSettings } from '../config/app-config';
import { importArchive } from './migration.archive';
import type { MigrationContext } from './migration.context';
import { ElasticsearchTarget } from './migration.elasticsearch';
import {
  createBackupFolder,
  INDEXES_DIR,
  isDirectory,
  isFile,
  KIBANA_DIR,
  listFolder,
  shown,
  STATS_FILE,
} from './migration.files';
import { exportIndexes, importIndexes } from './migration.indexes';
import {
  DASHBOARDS,
  DATAVIEWS,
  exportSavedObjects,
  importSavedObjects,
  KibanaClient,
  trustCertificateAuthority,
} from './migration.kibana';
import {
  DEFAULT_BATCH_SIZE,
  DEFAULT_INDEX_PATTERN,
  elasticsearchSettings,
  hostUrl,
  kibanaAuthorization,
  kibanaUrl,
  timeZone,
  type MigrationOptions,
} from './migration.options';
import { positiveInt } from '../cli/cli-arguments';
import { importReference } from './migration.reference-import';
import { MigrationReport, NO_PROGRESS, terminalProgress } from './migration.report';

/**
 * `npm run migrate -- <command> [options]`: the commander program and what each command does, in order. Everything
 * from outside (configuration, the Elasticsearch client, fetch, the terminal) comes in through MigrationDeps, so the
 * e2e suite runs the very same program against a mock cluster and a fake Kibana.
 */

export interface MigrationDeps {
  /** The service's configuration (.env and environment): default cluster, credentials, index names, archive. */
  loadConfig(): AppConfig;
  createClient(settings: ElasticsearchSettings): Client;
  fetch: typeof fetch;
  out(text: string): void;
  err(text: string): void;
  /** Where progress bars are drawn: a terminal, or nowhere (logs, CI, pipes). */
  progressStream?: NodeJS.WritableStream;
  now(): Date;
}

/** Bad usage or configuration: nothing was attempted. */
export const EXIT_USAGE = 2;

type CommandName =
  | 'export'
  | 'import'
  | 'export-indexes'
  | 'import-indexes'
  | 'export-dataviews'
  | 'import-dataviews'
  | 'export-dashboards'
  | 'import-dashboards'
  | 'import-archive'
  | 'import-reference';

/** Which outside systems a command talks to. */
interface Parts {
  indexes: boolean;
  kibana: boolean;
}

const USES: Record<CommandName, Parts> = {
  export: { indexes: true, kibana: true },
  import: { indexes: true, kibana: true },
  'export-indexes': { indexes: true, kibana: false },
  'import-indexes': { indexes: true, kibana: false },
  'export-dataviews': { indexes: false, kibana: true },
  'import-dataviews': { indexes: false, kibana: true },
  'export-dashboards': { indexes: false, kibana: true },
  'import-dashboards': { indexes: false, kibana: true },
  'import-archive': { indexes: true, kibana: false },
  'import-reference': { indexes: true, kibana: false },
};

/** The export commands: what each one writes into the backup folder. */
const EXPORTS: Partial<Record<CommandName, { what: string; dataviews: boolean; dashboards: boolean }>> = {
  export: { what: 'indexes, data views and dashboards', dataviews: true, dashboards: true },
  'export-indexes': { what: 'indexes (mappings and documents)', dataviews: false, dashboards: false },
  'export-dataviews': { what: 'Kibana data views', dataviews: true, dashboards: false },
  'export-dashboards': { what: 'Kibana dashboards with what they use', dataviews: false, dashboards: true },
};

const esUrls = (value: string): string =>
  value
    .split(',')
    .map((node) => hostUrl(node.trim()))
    .join(',');

function connectionOptions(command: Command, parts: Parts): Command {
  if (parts.indexes) {
    command
      .option(
        '--es-url <url>',
        'Elasticsearch URL, several nodes comma-separated (default: ES_URL, else localhost:9200)',
        esUrls,
      )
      .option(
        '--es-host <host:port>',
        "Elasticsearch as the reference's script took it (http unless https:// is given)",
        hostUrl,
      );
  }
  if (parts.kibana) {
    command
      .option('--kibana-url <url>', 'Kibana URL (default: http://localhost:5601)', hostUrl)
      .option('--kibana-host <host:port>', "Kibana as the reference's script took it", hostUrl);
  }
  return command
    .option('--username <user>', 'basic-auth user (default: ES_USERNAME)')
    .option(
      '--password <password>',
      'basic-auth password (default: ES_PASSWORD; visible to ps, prefer the variable)',
    )
    .option('--api-key <key>', 'API key, base64 id:key, instead of a user (default: ES_API_KEY)')
    .option('--ca-cert <file>', 'PEM file of the CA that signed the TLS certificates (default: ES_CA_CERT)');
}

function commonOptions(command: Command, kind: 'export' | 'import', parts: Parts): Command {
  connectionOptions(command, parts);
  if (parts.indexes) {
    command.option(
      '--batch-size <n>',
      'documents per page read or bulk request written',
      positiveInt,
      DEFAULT_BATCH_SIZE,
    );
  }
  if (kind === 'import') {
    command.option(
      '--overwrite',
      'replace an existing index or saved object (without it, they are left alone and reported)',
      false,
    );
  }
  return command.option(
    '--dry-run',
    'read and check everything, say what would be done, write nothing',
    false,
  );
}

export function migrationProgram(deps: MigrationDeps, done: (code: number) => void): Command {
  const program = new Command('migrate')
    .description(
      "Back up, restore and move lungcheck's Elasticsearch indexes and Kibana data views and dashboards; load the " +
        "embedded default's NDJSON archive or the reference system's exports.",
    )
    .exitOverride()
    .configureOutput({ writeOut: deps.out, writeErr: deps.err })
    .showHelpAfterError('(add --help for the options)');
  program.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  npm run migrate -- export --output backups',
      '  npm run migrate -- import --input backups/backup_20250321_020000 --es-url https://prod:9200 --api-key "$KEY"',
      '  npm run migrate -- import-archive --input data/indexes --es-url https://prod:9200',
      '  npm run migrate -- import-reference --input old/backup_20250121_153000 --source-timezone Europe/Paris',
      '',
      'Exit code: 0 when every step succeeded or was skipped on purpose, 1 when something failed, 2 on bad usage.',
    ].join('\n'),
  );
  const action = (name: CommandName) => async (options: Partial<MigrationOptions>) => {
    done(await runCommand(name, options, deps));
  };

  for (const [name, spec] of Object.entries(EXPORTS) as [CommandName, { what: string }][]) {
    const command = program
      .command(name)
      .description(`Export the ${spec.what} into a new <output>/backup_YYYYMMDD_HHMMSS/ folder (UTC).`)
      .requiredOption('--output <dir>', 'folder that receives the backup_… folder');
    if (USES[name].indexes) {
      command.option(
        '--indexes <pattern>',
        'indexes to export, wildcards and commas allowed',
        DEFAULT_INDEX_PATTERN,
      );
    }
    commonOptions(command, 'export', USES[name]).action(action(name));
  }

  commonOptions(
    program
      .command('import')
      .description('Restore a backup folder made by export: its indexes, then data views, then dashboards.')
      .requiredOption('--input <dir>', 'the backup_… folder (or a kibana/ folder of saved-object files)'),
    'import',
    USES.import,
  ).action(action('import'));
  commonOptions(
    program
      .command('import-indexes')
      .description(
        'Restore the indexes of a backup: created from their mapping files, documents under their ids.',
      )
      .requiredOption('--input <dir>', 'the backup_… folder or its indexes/ folder'),
    'import',
    USES['import-indexes'],
  ).action(action('import-indexes'));
  for (const [name, set] of [
    ['import-dataviews', DATAVIEWS],
    ['import-dashboards', DASHBOARDS],
  ] as const) {
    commonOptions(
      program
        .command(name)
        .description(
          `Import Kibana ${set.key === 'dataviews' ? 'data views' : 'dashboards'} (saved-objects _import).`,
        )
        .requiredOption(
          '--input <path>',
          `a backup_… folder, a kibana/ folder (its ${set.file}, or every *.ndjson there), or one .ndjson file`,
        ),
      'import',
      USES[name],
    ).action(action(name));
  }
  commonOptions(
    program
      .command('import-archive')
      .description(
        "Load the embedded default's NDJSON archive (or any folder of Bulk-API .ndjson files) under the documents' " +
          'own ids; a document already there is left alone, so loading twice changes nothing.',
      )
      .option('--input <dir>', 'the archive folder (default: LOG_ARCHIVE_DIR, ./data/indexes)'),
    'import',
    USES['import-archive'],
  ).action(action('import-archive'));
  commonOptions(
    program
      .command('import-reference')
      .description(
        "Convert an export of the reference's migration script (<index>_mapping.json, <index>_documents.ndjson) to " +
          "lungcheck's indexes (docs/compatibility.md, field by field) and load it; what cannot be converted is listed.",
      )
      .requiredOption('--input <dir>', "the reference's backup_… folder or its indexes/ folder")
      .addOption(
        new Option(
          '--source-timezone <zone>',
          "the zone the reference's API host ran in (its timestamps are that wall clock labelled UTC): Europe/Paris, UTC…",
        )
          .argParser(timeZone)
          .makeOptionMandatory(),
      ),
    'import',
    USES['import-reference'],
  ).action(action('import-reference'));
  return program;
}

/** Runs the program on `argv` (process.argv's shape) and answers the exit code. */
export async function runMigration(argv: readonly string[], deps: MigrationDeps): Promise<number> {
  let code = 0;
  const program = migrationProgram(deps, (c) => (code = c));
  try {
    await program.parseAsync([...argv]);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    deps.err(`migrate: ${errorText(error)}\n`);
    return 1;
  }
}

async function runCommand(
  name: CommandName,
  options: Partial<MigrationOptions>,
  deps: MigrationDeps,
): Promise<number> {
  let config: AppConfig;
  try {
    config = deps.loadConfig();
  } catch (error) {
    deps.err(`migrate ${name}: ${errorText(error)}\n`);
    return EXIT_USAGE;
  }
  const o: MigrationOptions = {
    ...options,
    indexes: options.indexes ?? DEFAULT_INDEX_PATTERN,
    batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
    overwrite: options.overwrite ?? false,
    dryRun: options.dryRun ?? false,
  };
  const settings = elasticsearchSettings(o, config);
  if (settings.caCertPath && !(await isFile(settings.caCertPath))) {
    deps.err(
      `migrate ${name}: --ca-cert (or ES_CA_CERT): cannot read the CA certificate ${settings.caCertPath}\n`,
    );
    return EXIT_USAGE;
  }
  const uses = USES[name];
  if (uses.kibana && settings.caCertPath) {
    await trustCertificateAuthority(settings.caCertPath);
  }
  const kibanaAt = kibanaUrl(o);
  const source: Record<string, string> = {
    ...(uses.indexes ? { elasticsearch: settings.nodes.map(redactedNode).join(', ') } : {}),
    ...(uses.kibana ? { kibana: kibanaAt } : {}),
  };
  let target: ElasticsearchTarget | undefined;
  let kibana: KibanaClient | undefined;
  const report = new MigrationReport(name, o.dryRun, source);
  const ctx: MigrationContext = {
    options: o,
    config,
    report,
    progress: deps.progressStream ? terminalProgress(deps.progressStream) : NO_PROGRESS,
    elasticsearch: () => (target ??= new ElasticsearchTarget(deps.createClient(settings), settings.nodes)),
    kibana: () => (kibana ??= new KibanaClient(kibanaAt, kibanaAuthorization(settings), deps.fetch)),
  };
  deps.out(
    `${name}${o.dryRun ? ' (dry run)' : ''}: ${Object.entries(source)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}\n`,
  );
  const exportSpec = EXPORTS[name];
  try {
    if (exportSpec) {
      let folder: string | undefined;
      try {
        folder = o.dryRun ? undefined : await createBackupFolder(o.output ?? '.', deps.now());
      } catch (error) {
        deps.err(`migrate ${name}: cannot create a backup folder in ${o.output}: ${errorText(error)}\n`);
        return 1;
      }
      if (folder) {
        deps.out(`writing ${shown(folder)}\n`);
      }
      if (uses.indexes) {
        await exportIndexes(ctx, folder && (await subfolder(folder, INDEXES_DIR)));
      }
      const kibanaDir = folder && uses.kibana ? await subfolder(folder, KIBANA_DIR) : undefined;
      if (exportSpec.dataviews) {
        await exportSavedObjects(ctx, DATAVIEWS, kibanaDir);
      }
      if (exportSpec.dashboards) {
        await exportSavedObjects(ctx, DASHBOARDS, kibanaDir);
      }
      deps.out(report.summary());
      if (folder) {
        await writeFile(join(folder, STATS_FILE), `${JSON.stringify(report.stats(), null, 2)}\n`);
        deps.out(`statistics: ${shown(join(folder, STATS_FILE))}\n`);
      }
    } else {
      await runImport(name, ctx, config);
      deps.out(report.summary());
    }
  } finally {
    await target?.client.close().catch(() => undefined);
  }
  return report.exitCode;
}

async function subfolder(folder: string, name: string): Promise<string> {
  const dir = join(folder, name);
  await mkdir(dir, { recursive: true });
  return dir;
}

async function runImport(name: CommandName, ctx: MigrationContext, config: AppConfig): Promise<void> {
  const input = ctx.options.input ?? config.shipping.archiveDir;
  switch (name) {
    case 'import':
      return importBackup(ctx, input);
    case 'import-indexes': {
      const nested = join(input, INDEXES_DIR);
      return importIndexes(ctx, (await isDirectory(nested)) ? nested : input);
    }
    case 'import-dataviews':
      return importSavedObjects(ctx, DATAVIEWS, input, true);
    case 'import-dashboards':
      return importSavedObjects(ctx, DASHBOARDS, input, true);
    case 'import-archive':
      return importArchive(ctx, input);
    case 'import-reference':
      return importReference(ctx, input, ctx.options.sourceTimezone ?? 'UTC');
    default:
      throw new Error(`${name} is not an import command`);
  }
}

/** import: a backup folder's indexes, then its data views, then its dashboards (each part only if it is there). */
async function importBackup(ctx: MigrationContext, input: string): Promise<void> {
  const { report } = ctx;
  if (!(await isDirectory(input))) {
    report.fail(
      'index',
      shown(input),
      `${shown(input)} is not a folder: give a backup_… folder made by export`,
    );
    return;
  }
  const indexesDir = join(input, INDEXES_DIR);
  const hasIndexes = await isDirectory(indexesDir);
  const names = await listFolder(input);
  const kibanaDir = (await isDirectory(join(input, KIBANA_DIR)))
    ? join(input, KIBANA_DIR)
    : names.includes(DATAVIEWS.file) || names.includes(DASHBOARDS.file)
      ? input
      : undefined;
  if (!hasIndexes && !kibanaDir) {
    const backups = names.filter((n) => n.startsWith('backup_'));
    report.fail(
      'index',
      shown(input),
      backups.length > 0
        ? `${shown(input)} holds backups, not one: pick one with --input, e.g. ${shown(join(input, backups[backups.length - 1] ?? ''))}`
        : `${shown(input)} has neither indexes/ nor kibana/: give a backup_… folder made by export`,
    );
    return;
  }
  if (hasIndexes) {
    await importIndexes(ctx, indexesDir);
  } else {
    await report.step('index', INDEXES_DIR, async (step) =>
      step.skip(`no ${INDEXES_DIR}/ folder in ${shown(input)}`),
    );
  }
  if (kibanaDir) {
    const imported = new Set<string>();
    await importSavedObjects(ctx, DATAVIEWS, kibanaDir, false, imported);
    await importSavedObjects(ctx, DASHBOARDS, kibanaDir, false, imported);
  } else {
    await report.step('kibana', KIBANA_DIR, async (step) =>
      step.skip(`no ${KIBANA_DIR}/ folder in ${shown(input)}`),
    );
  }
}
