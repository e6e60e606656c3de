import { errors, type Client } from '@elastic/elasticsearch';
import { bulkOperations, bulkOutcomes } from './bulk-outcome';
import type { ShipDocument } from './log-shipping.documents';
import type { IndexTemplate } from './log-shipping.templates';
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

/** Ships with the Bulk API; index templates are (re)installed by prepare(), which PUT makes idempotent. */
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
  }

  async write(docs: readonly ShipDocument[]): Promise<WriteOutcome[]> {
    if (docs.length === 0) {
      return [];
    }
    try {
      const response = await this.client.bulk({ operations: bulkOperations(docs) });
      return bulkOutcomes(response, docs.length);
    } catch (error) {
      throw new ElasticsearchUnavailableError(`bulk request failed: ${describe(error)}`);
    }
  }
}
