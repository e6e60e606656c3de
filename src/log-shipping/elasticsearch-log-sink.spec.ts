import { errors } from '@elastic/elasticsearch';
import type { MappingTypeMapping } from '@elastic/elasticsearch/lib/api/types';
import { explainedEntry } from '../../test/support/log-shipping/entries';
import { MockCluster } from '../../test/support/log-shipping/mock-cluster';
import { MigrationCluster } from '../../test/support/migration/migration-cluster';
import { ElasticsearchLogSink, ElasticsearchUnavailableError, redactedNode } from './elasticsearch-log-sink';
import { encodeDocs } from './log-shipping.encode';
import { documentsForEntry, type ShipDocument } from './log-shipping.documents';
import { indexMappings, indexTemplates } from './log-shipping.templates';

const INDEXES = {
  logs: 'ml-api-logs',
  message: 'ml-api-message',
  perfs: 'ml-api-perfs',
  topFunc: 'ml-api-top-func',
  deadLetter: 'ml-api-deadletter',
  drift: 'ml-api-drift',
};

const doc = (id: string, source: Record<string, unknown>): ShipDocument => ({
  index: INDEXES.topFunc,
  id,
  entryId: id.split('-')[0] ?? id,
  source: {
    '@timestamp': '2025-03-14T09:26:53.589Z',
    entry_id: id,
    function: 'model_run',
    rank: 1,
    ...source,
  },
});

describe(ElasticsearchLogSink.name, () => {
  let cluster: MockCluster;
  let sink: ElasticsearchLogSink;

  beforeEach(() => {
    cluster = new MockCluster();
    sink = new ElasticsearchLogSink(cluster.client(), indexTemplates(INDEXES), MockCluster.NODE);
  });

  it('installs one template per index, and installing again changes nothing', async () => {
    await sink.prepare();
    const first = structuredClone([...cluster.templates]);
    await sink.prepare();
    expect(cluster.templatePuts).toBe(12);
    expect([...cluster.templates]).toEqual(first);
    expect([...cluster.templates.keys()].sort()).toEqual(
      Object.values(INDEXES)
        .map((i) => `lungcheck-${i}`)
        .sort(),
    );
  });

  it('sends every document in one bulk request under its id and answers one outcome per document', async () => {
    await sink.prepare();
    const outcomes = await sink.write(encodeDocs([doc('a-1', {}), doc('a-2', { rank: 2 })]));
    expect(outcomes).toEqual([{ status: 'stored' }, { status: 'stored' }]);
    expect(cluster.bulkRequests).toBe(1);
    expect([...cluster.docs(INDEXES.topFunc).keys()]).toEqual(['a-1', 'a-2']);
  });

  it('reports a retryable item and a mapping error item apart, storing the rest', async () => {
    await sink.prepare();
    cluster.failItem = (op) =>
      op.id === 'b-1'
        ? { status: 429, type: 'es_rejected_execution_exception', reason: 'queue full' }
        : undefined;
    const outcomes = await sink.write(
      encodeDocs([doc('b-1', {}), doc('b-2', { line: 'forty' }), doc('b-3', {})]),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['retry', 'refused', 'stored']);
    expect(outcomes[1]).toMatchObject({ reason: { status: 400, type: 'document_parsing_exception' } });
    expect([...cluster.docs(INDEXES.topFunc).keys()]).toEqual(['b-3']);
  });

  it('throws, naming the cause, when the cluster cannot be reached', async () => {
    cluster.down = true;
    await expect(sink.write(encodeDocs([doc('c-1', {})]))).rejects.toThrow(ElasticsearchUnavailableError);
    await expect(sink.write(encodeDocs([doc('c-1', {})]))).rejects.toThrow(
      /bulk request failed: ConnectionError/,
    );
    await expect(sink.prepare()).rejects.toThrow(/installing index templates failed/);
  });

  /** Makes the cluster answer every bulk request with this body and status. */
  const answerBulk = (body: unknown, statusCode?: number): void => {
    cluster.mock.clear({ method: ['POST', 'PUT'], path: '/_bulk' });
    cluster.mock.add({ method: 'POST', path: '/_bulk' }, () =>
      statusCode === undefined
        ? (body as Record<string, unknown>)
        : new errors.ResponseError({ body, statusCode } as ConstructorParameters<
            typeof errors.ResponseError
          >[0]),
    );
  };

  it('throws with the status and the reason when the cluster refuses the whole request', async () => {
    answerBulk(
      { error: { type: 'security_exception', reason: 'missing authentication credentials' }, status: 401 },
      401,
    );
    const failure = sink.write(encodeDocs([doc('d-1', {})]));
    await expect(failure).rejects.toThrow(
      /Elasticsearch answered 401: .*security_exception.*missing authentication credentials/,
    );
    await expect(failure).rejects.toMatchObject({ name: 'ElasticsearchUnavailableError' });
  });

  it('quotes a refusal whose body is plain text, or empty, as it is', async () => {
    answerBulk('Unauthorized', 401);
    await expect(sink.write(encodeDocs([doc('e-1', {})]))).rejects.toThrow(
      new ElasticsearchUnavailableError('bulk request failed: Elasticsearch answered 401: Unauthorized'),
    );
    answerBulk(null, 502);
    await expect(sink.write(encodeDocs([doc('e-2', {})]))).rejects.toThrow(
      new ElasticsearchUnavailableError('bulk request failed: Elasticsearch answered 502: null'),
    );
  });

  it('quotes at most 500 characters of a refusal', async () => {
    answerBulk('x'.repeat(600), 413);
    await expect(sink.write(encodeDocs([doc('f-1', {})]))).rejects.toThrow(
      new ElasticsearchUnavailableError(
        `bulk request failed: Elasticsearch answered 413: ${'x'.repeat(500)}`,
      ),
    );
  });

  it('throws when the cluster answers a bulk request without items', async () => {
    answerBulk({ took: 1, errors: false });
    await expect(sink.write(encodeDocs([doc('g-1', {})]))).rejects.toThrow(
      new ElasticsearchUnavailableError(
        "bulk request failed: Cannot read properties of undefined (reading '0')",
      ),
    );
  });

  it('does not call the cluster for an empty batch', async () => {
    cluster.down = true;
    await expect(sink.write(encodeDocs([]))).resolves.toEqual([]);
  });

  it('stores the explanation and the shadow answer of a prediction under the strict message mapping', async () => {
    await sink.prepare();
    const docs = documentsForEntry(explainedEntry(), INDEXES);
    expect((await sink.write(encodeDocs(docs))).filter((o) => o.status !== 'stored')).toEqual([]);
    const [message] = cluster.docs(INDEXES.message).values();
    expect(message).toMatchObject({
      explanation: { raising: [{ answer: 'SMOKING' }, { answer: 'AGE' }, { answer: 'COUGHING' }] },
      shadow: { status: 'ok', agrees: true },
    });
  });

  describe('indexes made before the current mappings', () => {
    let migrationCluster: MigrationCluster;

    /** The message mapping of TEMPLATE_VERSION 1: no explanation, no shadow. */
    const versionOne = (): MappingTypeMapping => {
      const message = structuredClone(indexMappings().message);
      delete message.properties?.explanation;
      delete message.properties?.shadow;
      return message;
    };
    const messageDocument = (): ShipDocument =>
      documentsForEntry(explainedEntry(), INDEXES).find((d) => d.index === INDEXES.message)!;

    beforeEach(async () => {
      migrationCluster = new MigrationCluster();
      sink = new ElasticsearchLogSink(migrationCluster.client(), indexTemplates(INDEXES), MockCluster.NODE);
      await migrationCluster.client().indices.create({ index: INDEXES.message, mappings: versionOne() });
    });

    it('gets the fields it lacks, without which a strict mapping refuses every new document, even their nulls', async () => {
      const before = await sink.write(encodeDocs([messageDocument()]));
      expect(before[0]).toMatchObject({
        status: 'refused',
        reason: { type: 'strict_dynamic_mapping_exception' },
      });

      await sink.prepare();
      const mappings = indexMappings().message.properties ?? {};
      expect(migrationCluster.mappingPuts).toEqual([
        {
          index: INDEXES.message,
          properties: { explanation: mappings.explanation, shadow: mappings.shadow },
        },
      ]);
      const { [INDEXES.message]: held } = await migrationCluster.client().indices.getMapping({
        index: INDEXES.message,
      });
      expect(held?.mappings).toEqual(indexMappings().message);
      expect(await sink.write(encodeDocs([messageDocument()]))).toEqual([{ status: 'stored' }]);

      await sink.prepare();
      expect(migrationCluster.mappingPuts).toHaveLength(1);
    });

    it("leaves alone an index with another mapping, such as the reference's own", async () => {
      await migrationCluster.client().indices.create({
        index: INDEXES.logs,
        mappings: { properties: { message: { type: 'text' }, status_code: { type: 'keyword' } } },
      });
      await sink.prepare();
      expect(migrationCluster.mappingPuts.map((p) => p.index)).toEqual([INDEXES.message]);
    });

    it('fails, naming the index and the cause, when the mapping cannot be updated; the next attempt updates it', async () => {
      const put = migrationCluster.mock.get({ method: 'PUT', path: `/${INDEXES.message}/_mapping` });
      let refusals = 1;
      migrationCluster.mock.clear({ method: 'PUT', path: '/:index/_mapping' });
      migrationCluster.mock.add({ method: 'PUT', path: '/:index/_mapping' }, (params) =>
        refusals-- > 0
          ? new errors.ResponseError({
              body: {
                error: {
                  type: 'security_exception',
                  reason: 'action [indices:admin/mapping/put] is unauthorized',
                },
              },
              statusCode: 403,
            } as ConstructorParameters<typeof errors.ResponseError>[0])
          : put!(params),
      );
      const failed = sink.prepare();
      await expect(failed).rejects.toThrow(
        new RegExp(
          `^updating the mapping of ${INDEXES.message} failed: Elasticsearch answered 403: .*security_exception`,
        ),
      );
      await expect(failed).rejects.toBeInstanceOf(ElasticsearchUnavailableError);
      await sink.prepare();
      expect(await sink.write(encodeDocs([messageDocument()]))).toEqual([{ status: 'stored' }]);
    });
  });

  it('shows the node without credentials', () => {
    expect(redactedNode('https://elastic:s3cret@es.example:9200')).toBe('https://es.example:9200');
    expect(sink.target).toBe('http://es.mock:9200');
  });

  it('passes a node it cannot parse as a URL through unchanged', () => {
    expect(redactedNode('not a url')).toBe('not a url');
  });
});
