import { errors, type Client } from '@elastic/elasticsearch';
import type { BulkResponse } from '@elastic/elasticsearch/lib/api/types';
import { bulkOutcomes } from './bulk-outcome';
import type { EncodedDocs } from './log-shipping.encode';
import { isLungcheckMapping, missingProperties, type IndexTemplate } from './log-shipping.templates';
import { LogSink, type WriteOutcome } from './log-sink';

/** The node URL without user or password, for status reports and logs. */
export function redactedNode(node: string): string {
  try {
    const url = new URL(node);
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return node;
  }
}

/** Thrown when a whole request to the cluster failed; its message says what the cluster (or the network) said. */
export class ElasticsearchUnavailableError extends Error {
  override name = 'ElasticsearchUnavailableError';
}

function describe(error: unknown): string {
  if (error instanceof errors.ResponseError) {
    const body: unknown = error.body;
    const cause =
      typeof body === 'object' && body !== null && 'error' in body
        ? JSON.stringify((body as { error: unknown }).error)
        : String(body);
    return `Elasticsearch answered ${error.statusCode ?? 'an error'}: ${cause.slice(0, 500)}`;
  }
  if (error instanceof errors.ElasticsearchClientError) {
    return `${error.name}: ${error.message}`;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * Ships with the Bulk API. prepare() (re)installs the index templates, which PUT makes idempotent, and adds to the
 * indexes lungcheck made with an earlier mapping the fields they lack: a strict mapping refuses a document with a
 * field it does not know, even a null one, so without them every such document would be dead-lettered.
 */
export class ElasticsearchLogSink extends LogSink {
  readonly kind = 'elasticsearch' as const;
  readonly target: string;

  constructor(
    private readonly client: Client,
    private readonly templates: readonly IndexTemplate[],
    node: string,
  ) {
    super();
    this.target = redactedNode(node);
  }

  async prepare(): Promise<void> {
    try {
      for (const { name, ...body } of this.templates) {
        await this.client.indices.putIndexTemplate({ name, ...body });
      }
    } catch (error) {
      throw new ElasticsearchUnavailableError(`installing index templates failed: ${describe(error)}`);
    }
    for (const template of this.templates) {
      for (const pattern of template.index_patterns) {
        try {
          await this.updateExisting(pattern, template);
        } catch (error) {
          throw new ElasticsearchUnavailableError(
            `updating the mapping of ${pattern} failed: ${describe(error)}`,
          );
        }
      }
    }
  }

  /**
   * Adds the template's new fields to the existing indexes `pattern` names (an alias may name several). An index
   * with another mapping (the reference's own, say) is left alone: its documents are refused and dead-lettered.
   */
  private async updateExisting(pattern: string, template: IndexTemplate): Promise<void> {
    if (!(await this.client.indices.exists({ index: pattern }))) {
      return;
    }
    const existing = await this.client.indices.getMapping({ index: pattern });
    for (const [index, { mappings }] of Object.entries(existing)) {
      if (!isLungcheckMapping(mappings)) {
        continue;
      }
      const missing = missingProperties(mappings.properties, template.template.mappings.properties ?? {});
      if (Object.keys(missing).length > 0) {
        await this.client.indices.putMapping({ index, properties: missing });
      }
    }
  }

  /**
   * One Bulk-API request of the encoded lines as they are (serialised off the request thread), whose answer keeps
   * only each item's status and error: what the outcomes need, a tenth of the full answer to parse.
   */
  async write(encoded: EncodedDocs): Promise<WriteOutcome[]> {
    if (encoded.docs.length === 0) {
      return [];
    }
    try {
      const response = (await this.client.transport.request({
        method: 'POST',
        path: '/_bulk',
        bulkBody: encoded.body,
        querystring: { filter_path: 'errors,items.*.status,items.*.error' },
      })) as BulkResponse;
      return bulkOutcomes(response, encoded.docs.length);
    } catch (error) {
      throw new ElasticsearchUnavailableError(`bulk request failed: ${describe(error)}`);
    }
  }
}
