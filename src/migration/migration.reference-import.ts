import { join } from 'node:path';
import { isPlainObject } from '../common/is-plain-object';
import type { ShipDocument } from '../log-shipping/log-shipping.documents';
import type { MigrationContext } from './migration.context';
import { installTemplates, loadDocuments } from './migration.elasticsearch';
import {
  INDEXES_DIR,
  InputError,
  isDirectory,
  isFile,
  listFolder,
  ndjsonLines,
  shown,
} from './migration.files';
import {
  convertReferenceExport,
  REFERENCE_KINDS,
  referenceKind,
  type ConversionResult,
  type ReferenceDocument,
  type ReferenceExport,
  type Tally,
} from './migration.reference';

/**
 * import-reference: an export made by the reference's own migration script (`<index>_mapping.json` and
 * `<index>_documents.ndjson` per index, under `indexes/` of its `backup_…` folder) converted to lungcheck's indexes
 * and loaded. The export is only read: it stays the record of the originals.
 */

const DOCUMENTS_FILE = /^(.+)_documents\.ndjson$/;

/** Reads every `<index>_documents.ndjson` of the four indexes; other files are reported, not read. */
export async function readReferenceExport(ctx: MigrationContext, input: string): Promise<ReferenceExport> {
  if (!(await isDirectory(input))) {
    throw new InputError(
      `${shown(input)} is not a folder: give the reference's backup_… folder or its indexes/`,
    );
  }
  const dir = (await isDirectory(join(input, INDEXES_DIR))) ? join(input, INDEXES_DIR) : input;
  const exported: ReferenceExport = { logs: [], message: [], perfs: [], topFunc: [] };
  let found = 0;
  for (const file of await listFolder(dir)) {
    const index = DOCUMENTS_FILE.exec(file)?.[1];
    if (!index) {
      if (!file.endsWith('_mapping.json')) {
        ctx.report.warn(`${shown(join(dir, file))}: not a reference export file, not read`);
      }
      continue;
    }
    const kind = referenceKind(index);
    if (!kind) {
      ctx.report.warn(
        `${shown(join(dir, file))}: ${index} is not one of the reference's four indexes, not converted`,
      );
      continue;
    }
    if (!(await isFile(join(dir, `${index}_mapping.json`)))) {
      ctx.report.warn(
        `${index}_mapping.json is missing beside ${file}: not needed to convert, but is the export whole?`,
      );
    }
    exported[kind].push(...(await readReferenceFile(join(dir, file))));
    found += 1;
  }
  if (found === 0) {
    throw new InputError(
      `no <index>_documents.ndjson of ml-api-logs, -message, -perfs or -top-func in ${shown(dir)}: is it an ` +
        "export made by the reference's migration script?",
    );
  }
  return exported;
}

/** Bulk-API pairs (the reference wrote those) or one document a line; `{_id, _source}` hits are unwrapped. */
async function readReferenceFile(file: string): Promise<ReferenceDocument[]> {
  const docs: ReferenceDocument[] = [];
  let actionLine: number | undefined;
  for await (const { line, value } of ndjsonLines(file)) {
    if (!isPlainObject(value)) {
      throw new InputError(
        `${shown(file)}:${line}: not a JSON object; nothing was imported: fix or remove the line`,
      );
    }
    const keys = Object.keys(value);
    if (
      actionLine === undefined &&
      keys.length === 1 &&
      (isPlainObject(value.index) || isPlainObject(value.create))
    ) {
      actionLine = line;
      continue;
    }
    docs.push({
      where: `${shown(file)}:${line}`,
      source: isPlainObject(value._source) ? value._source : value,
    });
    actionLine = undefined;
  }
  if (actionLine !== undefined) {
    throw new InputError(
      `${shown(file)}:${actionLine}: an action line without its document at the end; nothing was imported: the ` +
        'export was cut short',
    );
  }
  return docs;
}

function tallyLine(index: string, tally: Tally, unit: string): string {
  const where = tally.examples.join(', ') + (tally.count > tally.examples.length ? ', …' : '');
  return `${index}: ${tally.count} ${unit} ${tally.what}${tally.note ? ` (${tally.note})` : ''}: ${where}`;
}

/** What the conversion left behind, one line per reason, for the summary. */
export function conversionListing(result: ConversionResult, indexes: Record<string, string>): string[] {
  return [
    ...result.notConverted.map((t) => tallyLine(indexes[t.kind] ?? t.kind, t, 'document(s) not converted:')),
    ...result.droppedFields.map((t) =>
      tallyLine(indexes[t.kind] ?? t.kind, t, 'document(s) without the field'),
    ),
  ];
}

export async function importReference(ctx: MigrationContext, input: string, timeZone: string): Promise<void> {
  const { report, options } = ctx;
  const indexes = ctx.config.shipping.indexes;
  let result: ConversionResult | undefined;
  await report.step('reference', 'conversion', async (step) => {
    result = convertReferenceExport(await readReferenceExport(ctx, input), { timeZone, indexes });
    for (const kind of REFERENCE_KINDS) {
      step.count(`read ${indexes[kind]}`, result.read[kind]);
    }
    step.count('converted', result.documents.length);
    step.count(
      'copies_collapsed',
      Object.values(result.collapsed).reduce((a, b) => a + b, 0),
    );
    step.count('performance_lines_merged', result.performanceLines);
    step.count(
      'not_converted',
      result.notConverted.reduce((n, t) => n + t.count, 0),
    );
    report.list(
      'Not converted (the reference export, left as it is, keeps the originals)',
      conversionListing(result, indexes),
    );
  });
  if (!result) {
    return;
  }
  const byIndex = new Map<string, ShipDocument[]>();
  for (const doc of result.documents) {
    const list = byIndex.get(doc.index) ?? [];
    byIndex.set(doc.index, list);
    list.push(doc);
  }
  if (!options.dryRun && byIndex.size > 0) {
    const es = ctx.elasticsearch();
    try {
      es.check();
      await installTemplates(es, indexes);
    } catch (error) {
      report.fail('reference', 'index templates', es.explain(error, 'installing the index templates'));
      return;
    }
  }
  for (const [index, docs] of byIndex) {
    await report.step('reference', index, async (step) => {
      step.count('documents', docs.length);
      if (options.dryRun) {
        step.dryRun(`would import ${docs.length} converted documents`);
        return;
      }
      const es = ctx.elasticsearch();
      es.check();
      await checkTarget(ctx, index);
      await loadDocuments(ctx, step, index, docs.length, docs, options.overwrite ? 'index' : 'create');
    });
  }
}

/** An index made by the reference itself keeps its old mapping: converted documents do not fit it. */
async function checkTarget(ctx: MigrationContext, index: string): Promise<void> {
  const es = ctx.elasticsearch();
  try {
    if (!(await es.client.indices.exists({ index }))) {
      return;
    }
    const mapping = await es.client.indices.getMapping({ index });
    const properties = Object.values(mapping)[0]?.mappings.properties ?? {};
    if (!('entry_id' in properties)) {
      throw new InputError(
        `${index} exists at ${es.node} with another mapping (no entry_id: the reference's own index?), which the ` +
          'converted documents do not fit: point ES_INDEX_* at new names, or move that index away first',
      );
    }
  } catch (error) {
    throw error instanceof InputError ? error : es.explain(error, `checking the mapping of ${index}`);
  }
}
