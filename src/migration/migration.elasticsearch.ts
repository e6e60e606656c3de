import { errors, type Client } from '@elastic/elasticsearch';
import type { SearchHit, SortResults } from '@elastic/elasticsearch/lib/api/types';
import { redactedNode, ElasticsearchLogSink } from '../log-shipping/elasticsearch-log-sink';
import type { DocumentSource, ShippingIndexes } from '../log-shipping/log-shipping.documents';
import { indexTemplates } from '../log-shipping/log-shipping.templates';
import { errorText } from '../common/error-text';
import type { MigrationContext } from './migration.context';
import type { Step } from './migration.report';

/**
 * The migration tool's Elasticsearch calls: reading an index through a point in time, writing with the client's
 * bulk helper under the original ids, and errors turned into messages that name the cluster and say what to do.
 */

/** How long a point in time stays open between two pages: one page of a slow disk, with a wide margin. */
const PIT_KEEP_ALIVE = '5m';

/** Elasticsearch answers at most index.max_result_window (10 000 by default) hits a page, search_after or not. */
const MAX_PAGE = 10_000;

/** A refused bulk item is retried this many times when the cluster says it is too busy (429). */
const BULK_RETRIES = 3;
const BULK_RETRY_WAIT_MS = 1000;

/** The cluster a command talks to. Once an error shows that no request can succeed, later steps stop at once. */
export class ElasticsearchTarget {
  readonly node: string;
  private blocked?: string;

  constructor(
    readonly client: Client,
    nodes: readonly string[],
  ) {
    this.node = nodes.map(redactedNode).join(', ');
  }

  /** Throws the error that made the cluster unusable, if one did. */
  check(): void {
    if (this.blocked) {
      throw new Error(`not attempted: ${this.blocked}`);
    }
  }

  /** The error as a message naming the cluster and the remedy; an unreachable cluster or a 401 blocks the rest. */
  explain(error: unknown, doing: string): Error {
    const { message, blocking } = describeElasticsearchError(error, this.node, doing);
    if (blocking) {
      this.blocked = message;
    }
    return new Error(message);
  }
}

export function describeElasticsearchError(
  error: unknown,
  node: string,
  doing: string,
): { message: string; blocking: boolean } {
  if (error instanceof errors.ResponseError) {
    const status = error.statusCode ?? 0;
    const cause = responseCause(error.body);
    if (status === 401) {
      return {
        message:
          `Elasticsearch at ${node} refused the credentials (401${cause}): check --username/--password or ` +
          '--api-key (or ES_USERNAME/ES_PASSWORD, ES_API_KEY)',
        blocking: true,
      };
    }
    if (status === 403) {
      return {
        message:
          `Elasticsearch at ${node} did not allow ${doing} (403${cause}): the user needs read and ` +
          'view_index_metadata to export, create_index, write and manage to import',
        blocking: false,
      };
    }
    return { message: `Elasticsearch at ${node} answered ${status} to ${doing}${cause}`, blocking: false };
  }
  if (error instanceof errors.ConnectionError) {
    const tls = /certificate|self[- ]signed|ssl|tls/i.test(error.message);
    return {
      message:
        `cannot reach Elasticsearch at ${node} (${error.message}): ` +
        (tls
          ? "pass the cluster's CA certificate with --ca-cert (or ES_CA_CERT)"
          : 'check --es-url or --es-host (or ES_URL) and that the cluster is running'),
      blocking: true,
    };
  }
  if (error instanceof errors.ProductNotSupportedError) {
    return {
      message: `${node} does not answer as Elasticsearch (${error.message}): check --es-url (Kibana's port is not the cluster's)`,
      blocking: true,
    };
  }
  if (error instanceof errors.TimeoutError) {
    return {
      message: `Elasticsearch at ${node} did not answer ${doing} in time: try a smaller --batch-size, or again later`,
      blocking: false,
    };
  }
  return { message: `${doing} failed: ${errorText(error)}`, blocking: false };
}

function responseCause(body: unknown): string {
  if (typeof body === 'object' && body !== null && 'error' in body) {
    const e = (body as { error: unknown }).error;
    if (typeof e === 'object' && e !== null) {
      const { type, reason } = e as { type?: unknown; reason?: unknown };
      return `: ${String(type ?? 'error')}: ${String(reason ?? '').slice(0, 300)}`;
    }
    return `: ${String(e).slice(0, 300)}`;
  }
  return typeof body === 'string' && body !== '' ? `: ${body.slice(0, 300)}` : '';
}

/**
 * The documents of one index, a page at a time, through a point in time (a consistent view while the service keeps
 * writing) sorted by `_shard_doc` with `search_after`; the point in time is closed at the end, even after an error.
 * `onTotal` gets the number of documents in that view before the first page.
 */
export async function* readIndex(
  client: Client,
  index: string,
  pageSize: number,
  onTotal: (total: number) => void = () => undefined,
): AsyncGenerator<SearchHit<DocumentSource>[]> {
  const size = Math.min(pageSize, MAX_PAGE);
  let pitId = (await client.openPointInTime({ index, keep_alive: PIT_KEEP_ALIVE })).id;
  try {
    let after: SortResults | undefined;
    for (;;) {
      const page = await client.search<DocumentSource>({
        pit: { id: pitId, keep_alive: PIT_KEEP_ALIVE },
        size,
        sort: [{ _shard_doc: 'asc' }],
        track_total_hits: after === undefined,
        ...(after ? { search_after: after } : {}),
      });
      pitId = page.pit_id ?? pitId;
      if (after === undefined) {
        const total = page.hits.total;
        onTotal(typeof total === 'number' ? total : (total?.value ?? 0));
      }
      const hits = page.hits.hits;
      if (hits.length > 0) {
        yield hits;
      }
      const last = hits[hits.length - 1];
      if (hits.length < size || !last?.sort) {
        return;
      }
      after = last.sort;
    }
  } finally {
    // A point in time left open expires after PIT_KEEP_ALIVE anyway; closing is good manners, not correctness.
    await client.closePointInTime({ id: pitId }).catch(() => undefined);
  }
}

/** A document to write: where, under which id (and routing), what. */
export interface BulkDocument {
  index: string;
  id: string;
  routing?: string;
  source: DocumentSource;
}

export interface BulkResult {
  written: number;
  /** `create` refused because the id is taken: the document already there was left alone. */
  alreadyPresent: number;
  failed: { index: string; id: string; reason: string }[];
}

/**
 * Writes one batch with the client's bulk helper (which retries what the cluster refuses as too busy). `create`
 * leaves a document already stored under the same id alone, `index` replaces it. Throws when the request as a whole
 * failed: then nothing of this batch is known to be written.
 */
export async function writeBatch(
  client: Client,
  docs: readonly BulkDocument[],
  op: 'index' | 'create',
): Promise<BulkResult> {
  const result: BulkResult = { written: 0, alreadyPresent: 0, failed: [] };
  if (docs.length === 0) {
    return result;
  }
  const stats = await client.helpers.bulk<BulkDocument>({
    datasource: [...docs],
    onDocument: (doc) => {
      const meta = { _index: doc.index, _id: doc.id, ...(doc.routing ? { routing: doc.routing } : {}) };
      return op === 'create' ? [{ create: meta }, doc.source] : [{ index: meta }, doc.source];
    },
    onDrop: (dropped) => {
      const meta = 'create' in dropped.operation ? dropped.operation.create : undefined;
      const target = meta ?? ('index' in dropped.operation ? dropped.operation.index : undefined);
      if (dropped.status === 409 && meta) {
        result.alreadyPresent += 1;
        return;
      }
      result.failed.push({
        index: String(target?._index ?? ''),
        id: String(target?._id ?? ''),
        reason: `${dropped.status} ${dropped.error?.type ?? 'error'}: ${dropped.error?.reason ?? 'refused'}`,
      });
    },
    concurrency: 1,
    retries: BULK_RETRIES,
    wait: BULK_RETRY_WAIT_MS,
  });
  result.written = stats.successful;
  return result;
}

/** lungcheck's index templates (strict mappings), as the shipper installs them: new indexes get them. */
export async function installTemplates(target: ElasticsearchTarget, indexes: ShippingIndexes): Promise<void> {
  await new ElasticsearchLogSink(target.client, indexTemplates(indexes), target.node).prepare();
}

/**
 * Writes documents a batch (`--batch-size`) at a time, counting on the step what was imported, what was already
 * there (`create`) and what was refused (listed). When a whole request fails, the error says how many of `total`
 * were imported before it.
 */
export async function loadDocuments(
  ctx: MigrationContext,
  step: Step,
  label: string,
  total: number,
  docs: AsyncIterable<BulkDocument> | Iterable<BulkDocument>,
  op: 'index' | 'create',
): Promise<void> {
  const es = ctx.elasticsearch();
  const bar = ctx.progress(label, total);
  const written = new Set<string>();
  let batch: BulkDocument[] = [];
  const flush = async (): Promise<void> => {
    const result = await writeBatch(es.client, batch, op);
    step.count('imported', result.written);
    if (result.alreadyPresent > 0) {
      step.count('already_present', result.alreadyPresent);
    }
    for (const failure of result.failed) {
      step.count('failed');
      step.itemFailed(`${failure.index}/${failure.id}: ${failure.reason}`);
    }
    if (result.written > 0) {
      batch.forEach((doc) => written.add(doc.index));
    }
    bar.add(batch.length);
    batch = [];
  };
  try {
    for await (const doc of docs) {
      batch.push(doc);
      if (batch.length >= ctx.options.batchSize) {
        await flush();
      }
    }
    await flush();
    if (written.size > 0) {
      // Searchable now, so an export right after sees what was imported.
      await es.client.indices.refresh({ index: [...written], ignore_unavailable: true });
    }
  } catch (error) {
    const imported = step.report.counts.imported ?? 0;
    throw new Error(
      `${es.explain(error, `importing ${label}`).message}; ${imported} of ${total} documents were imported ` +
        'before it, the others were not: import again once it is fixed',
    );
  } finally {
    bar.stop();
  }
}
