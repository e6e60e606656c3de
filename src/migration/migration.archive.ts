import { basename, join } from 'node:path';
import type { MigrationContext } from './migration.context';
import { installTemplates, loadDocuments, type BulkDocument } from './migration.elasticsearch';
import { bulkPairs, countBulkPairs, InputError, listFolder, shown } from './migration.files';

/**
 * import-archive: the embedded default's NDJSON archive (LOG_ARCHIVE_DIR, `<index>-YYYY.MM.DD.ndjson`, written by
 * NdjsonLogSink) into Elasticsearch, under the documents' own ids. Documents are `create`d: one already stored under
 * its id is left alone, so loading the same files twice changes nothing. Any folder of Bulk-API NDJSON files loads
 * the same way, such as an export's `indexes/` folder merged into a cluster that already has data.
 */

/** `ml-api-logs-2025.03.14.ndjson` → `ml-api-logs`, for an action line that does not name its index. */
export function archiveIndexName(file: string): string {
  return basename(file, '.ndjson').replace(/-\d{4}\.\d{2}\.\d{2}$/, '');
}

export async function importArchive(ctx: MigrationContext, dir: string): Promise<void> {
  const { report, options } = ctx;
  let files: string[];
  try {
    files = (await listFolder(dir)).filter((f) => f.endsWith('.ndjson')).map((f) => join(dir, f));
    if (files.length === 0) {
      throw new InputError(
        `no .ndjson file in ${shown(dir)}: give the archive folder (LOG_ARCHIVE_DIR, ./data/indexes) with --input`,
      );
    }
  } catch (error) {
    report.fail('archive', shown(dir), error);
    return;
  }
  const indexes = ctx.config.shipping.indexes;
  if (!options.dryRun) {
    const es = ctx.elasticsearch();
    try {
      es.check();
      await installTemplates(es, indexes);
    } catch (error) {
      report.fail('archive', 'index templates', es.explain(error, 'installing the index templates'));
      return;
    }
  }
  const known = new Set<string>(Object.values(indexes));
  const unknown = new Set<string>();
  for (const file of files) {
    await report.step('archive', basename(file), async (step) => {
      let cutAt: number | undefined;
      const total = await countBulkPairs(file, { lastMayBeCut: true, cut: (line) => (cutAt = line) });
      step.count('documents', total);
      if (cutAt !== undefined) {
        report.warn(
          `${shown(file)}:${cutAt}: the last document was cut short by a crash while it was written; it is not ` +
            'imported (the service still holds its entry and ships it again)',
        );
      }
      if (options.dryRun) {
        step.dryRun(
          `would import ${total} documents${options.overwrite ? ', replacing those with the same id' : ''}`,
        );
        return;
      }
      ctx.elasticsearch().check();
      const docs = async function* (): AsyncGenerator<BulkDocument> {
        for await (const pair of bulkPairs(file, { lastMayBeCut: true })) {
          const index = pair.index ?? archiveIndexName(file);
          if (!known.has(index) && !unknown.has(index)) {
            unknown.add(index);
            report.warn(
              `${index} is not one of ES_INDEX_*: it has no lungcheck template, Elasticsearch maps it itself`,
            );
          }
          yield { index, id: pair.id, routing: pair.routing, source: pair.source };
        }
      };
      await loadDocuments(ctx, step, basename(file), total, docs(), options.overwrite ? 'index' : 'create');
    });
  }
}
