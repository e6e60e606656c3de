import type { IndicesIndexSettings, IndicesIndexState } from '@elastic/elasticsearch/lib/api/types';
import { open, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isPlainObject } from '../common/is-plain-object';
import type { MigrationContext } from './migration.context';
import { loadDocuments, readIndex, type BulkDocument } from './migration.elasticsearch';
import {
  bulkPairs,
  countBulkPairs,
  DOCUMENTS_SUFFIX,
  InputError,
  isFile,
  listFolder,
  MAPPING_SUFFIX,
  PARTIAL_SUFFIX,
  readJsonObject,
  shown,
} from './migration.files';
import type { ProgressBar, Step } from './migration.report';

/**
 * export-indexes and import-indexes: each index as `<index>.mapping.json` (its mappings and the settings another
 * cluster accepts) and `<index>.ndjson` (Bulk-API line pairs under the original ids).
 */

/**
 * The index settings worth carrying to another cluster. Everything else describes this copy of the index (uuid,
 * creation_date, version, provided_name, history_uuid, routing, blocks, resize…) and would be refused or wrong
 * there; lifecycle and pipelines are left out too, as their policies may not exist where the backup is restored.
 */
const REAPPLIABLE_SETTINGS = [
  'number_of_shards',
  'number_of_replicas',
  'auto_expand_replicas',
  'refresh_interval',
  'max_result_window',
  'codec',
  'analysis',
  'mapping',
  'sort',
  'similarity',
  'query',
] as const;

export function reappliableSettings(settings: IndicesIndexSettings | undefined): {
  index: Record<string, unknown>;
} {
  const own: Record<string, unknown> = isPlainObject(settings?.index) ? settings.index : {};
  return {
    index: Object.fromEntries(
      REAPPLIABLE_SETTINGS.filter((key) => own[key] !== undefined).map((k) => [k, own[k]]),
    ),
  };
}

/** What `<index>.mapping.json` holds. */
export interface IndexDefinition {
  index: string;
  mappings: Record<string, unknown>;
  settings: { index: Record<string, unknown> };
}

export function indexDefinition(index: string, state: IndicesIndexState): IndexDefinition {
  return { index, mappings: { ...state.mappings }, settings: reappliableSettings(state.settings) };
}

/** Exports every open index matching `--indexes` into `folder` (nothing is written on a dry run: `folder` unset). */
export async function exportIndexes(ctx: MigrationContext, folder: string | undefined): Promise<void> {
  const { options, report } = ctx;
  const es = ctx.elasticsearch();
  let states: Record<string, IndicesIndexState>;
  try {
    es.check();
    states = await es.client.indices.get({
      index: options.indexes,
      expand_wildcards: 'open',
      ignore_unavailable: true,
      allow_no_indices: true,
    });
  } catch (error) {
    report.fail('index', options.indexes, es.explain(error, `listing the indexes ${options.indexes}`));
    return;
  }
  const names = Object.keys(states).sort();
  if (names.length === 0) {
    report.fail(
      'index',
      options.indexes,
      `no open index at ${es.node} matches ${options.indexes}: check --indexes`,
    );
    return;
  }
  for (const name of names) {
    await report.step('index', name, (step) => exportIndex(ctx, name, states[name] ?? {}, folder, step));
  }
}

async function exportIndex(
  ctx: MigrationContext,
  name: string,
  state: IndicesIndexState,
  folder: string | undefined,
  step: Step,
): Promise<void> {
  const es = ctx.elasticsearch();
  es.check();
  if (!folder) {
    const { count } = await es.client.count({ index: name }).catch((error: unknown) => {
      throw es.explain(error, `counting the documents of ${name}`);
    });
    step.count('documents', count);
    step.dryRun(`would write ${name}${MAPPING_SUFFIX} and ${name}${DOCUMENTS_SUFFIX}`);
    return;
  }
  await writeFile(
    join(folder, `${name}${MAPPING_SUFFIX}`),
    `${JSON.stringify(indexDefinition(name, state), null, 2)}\n`,
  );
  const partial = join(folder, `${name}${PARTIAL_SUFFIX}`);
  const file = await open(partial, 'w');
  let bar: ProgressBar | undefined;
  try {
    const pages = readIndex(es.client, name, ctx.options.batchSize, (total) => {
      bar = ctx.progress(name, total);
    });
    for await (const hits of pages) {
      const lines = hits.map((hit) => {
        if (hit._source === undefined || hit._id === undefined) {
          throw new Error(`${name} does not keep its documents' _source: they cannot be exported`);
        }
        const meta = { _index: name, _id: hit._id, ...(hit._routing ? { routing: hit._routing } : {}) };
        return `${JSON.stringify({ index: meta })}\n${JSON.stringify(hit._source)}\n`;
      });
      await file.write(lines.join(''));
      step.count('documents', hits.length);
      bar?.add(hits.length);
    }
  } catch (error) {
    const explained = es.explain(error, `reading ${name}`);
    throw new Error(
      `${explained.message}; the ${step.report.counts.documents ?? 0} documents read before it are in ` +
        `${shown(partial)}, which import leaves out`,
    );
  } finally {
    bar?.stop();
    await file.close();
  }
  await rename(partial, join(folder, `${name}${DOCUMENTS_SUFFIX}`));
}

/** The indexes of an export's `indexes/` folder: one per mapping file or documents file. */
async function indexesIn(ctx: MigrationContext, dir: string): Promise<string[]> {
  const names = new Set<string>();
  for (const file of await listFolder(dir)) {
    if (file.endsWith(PARTIAL_SUFFIX)) {
      ctx.report.warn(`${shown(join(dir, file))} is an export that did not finish: not imported`);
    } else if (file.endsWith(MAPPING_SUFFIX)) {
      names.add(file.slice(0, -MAPPING_SUFFIX.length));
    } else if (file.endsWith(DOCUMENTS_SUFFIX)) {
      names.add(file.slice(0, -DOCUMENTS_SUFFIX.length));
    }
  }
  return [...names].sort();
}

/** Restores every index of an export's `indexes/` folder. */
export async function importIndexes(ctx: MigrationContext, dir: string): Promise<void> {
  let names: string[];
  try {
    names = await indexesIn(ctx, dir);
  } catch (error) {
    ctx.report.fail('index', shown(dir), error);
    return;
  }
  if (names.length === 0) {
    ctx.report.fail(
      'index',
      shown(dir),
      `no <index>${MAPPING_SUFFIX} or <index>${DOCUMENTS_SUFFIX} in ${shown(dir)}: give the backup folder or its indexes/ folder`,
    );
    return;
  }
  for (const name of names) {
    await ctx.report.step('index', name, (step) => importIndex(ctx, dir, name, step));
  }
}

async function importIndex(ctx: MigrationContext, dir: string, name: string, step: Step): Promise<void> {
  const { options } = ctx;
  const es = ctx.elasticsearch();
  es.check();
  const mappingFile = join(dir, `${name}${MAPPING_SUFFIX}`);
  const documentsFile = join(dir, `${name}${DOCUMENTS_SUFFIX}`);
  if (!(await isFile(mappingFile))) {
    throw new InputError(
      `${shown(mappingFile)} is missing: an index is restored from its mapping file and its documents together; ` +
        `copy the export's whole indexes/ folder, or export ${name} again`,
    );
  }
  const definition = await readJsonObject(mappingFile);
  const mappings = isPlainObject(definition.mappings) ? definition.mappings : undefined;
  if (!mappings) {
    throw new InputError(`${shown(mappingFile)} has no "mappings" object: restore it from the export`);
  }
  const settings = isPlainObject(definition.settings) ? definition.settings : undefined;
  const hasDocuments = await isFile(documentsFile);
  let total = 0;
  if (hasDocuments) {
    // Read once to the end before anything is written: a damaged file imports nothing rather than half.
    total = await countBulkPairs(documentsFile);
  } else {
    ctx.report.warn(`${shown(documentsFile)} is missing: ${name} is created without documents`);
  }
  step.count('documents', total);

  const exists = await es.client.indices.exists({ index: name }).catch((error: unknown) => {
    throw es.explain(error, `checking whether ${name} exists`);
  });
  if (exists && !options.overwrite) {
    step.skip(`exists at ${es.node}: left alone, nothing imported (--overwrite replaces it with the backup)`);
    return;
  }
  if (options.dryRun) {
    step.dryRun(`would ${exists ? 'delete and re-create' : 'create'} ${name} and import ${total} documents`);
    return;
  }
  if (exists) {
    await es.client.indices.delete({ index: name }).catch((error: unknown) => {
      throw es.explain(error, `deleting ${name} to replace it`);
    });
  }
  await es.client.indices
    .create({ index: name, mappings, ...(settings ? { settings } : {}) })
    .catch((error: unknown) => {
      const why = es.explain(error, `creating ${name}`).message;
      throw new Error(
        exists ? `${why}; ${name} was deleted and is not restored: fix this and import again` : why,
      );
    });
  if (hasDocuments) {
    const docs = async function* (): AsyncGenerator<BulkDocument> {
      for await (const pair of bulkPairs(documentsFile)) {
        yield { index: name, id: pair.id, routing: pair.routing, source: pair.source };
      }
    };
    await loadDocuments(ctx, step, name, total, docs(), 'index');
  }
}
