import { errors } from '@elastic/elasticsearch';
import { MigrationCluster } from '../../test/support/migration/migration-cluster';
import {
  describeElasticsearchError,
  ElasticsearchTarget,
  readIndex,
  writeBatch,
} from './migration.elasticsearch';

const NODE = 'http://es.mock:9200';

async function clusterWith(index: string, n: number): Promise<MigrationCluster> {
  const cluster = new MigrationCluster();
  const operations = Array.from({ length: n }, (_, i) => [
    { index: { _index: index, _id: `d${i}` } },
    { n: i },
  ]).flat();
  await cluster.client().bulk({ operations });
  return cluster;
}

describe(readIndex.name, () => {
  it('reads every document a page at a time through one point in time, then closes it', async () => {
    const cluster = await clusterWith('a', 7);
    const totals: number[] = [];
    const pages: string[][] = [];
    for await (const hits of readIndex(cluster.client(), 'a', 3, (t) => totals.push(t))) {
      pages.push(hits.map((h) => h._id ?? ''));
    }
    expect(pages).toEqual([['d0', 'd1', 'd2'], ['d3', 'd4', 'd5'], ['d6']]);
    expect(totals).toEqual([7]);
    expect(cluster.searches).toBe(3);
    expect([cluster.pitsOpened, cluster.pits.size]).toEqual([1, 0]);
  });

  it('closes the point in time when the reader stops early', async () => {
    const cluster = await clusterWith('a', 5);
    for await (const hits of readIndex(cluster.client(), 'a', 2)) {
      expect(hits).toHaveLength(2);
      break;
    }
    expect(cluster.pits.size).toBe(0);
  });
});

describe(writeBatch.name, () => {
  const docs = [
    { index: 'a', id: 'd0', source: { n: 100 } },
    { index: 'a', id: 'new', source: { n: 1 } },
  ];

  it('creates: a document already stored under its id is left alone and counted', async () => {
    const cluster = await clusterWith('a', 1);
    expect(await writeBatch(cluster.client(), docs, 'create')).toEqual({
      written: 1,
      alreadyPresent: 1,
      failed: [],
    });
    expect(cluster.docs('a').get('d0')).toEqual({ n: 0 });
  });

  it('indexes: the stored document is replaced', async () => {
    const cluster = await clusterWith('a', 1);
    expect(await writeBatch(cluster.client(), docs, 'index')).toEqual({
      written: 2,
      alreadyPresent: 0,
      failed: [],
    });
    expect(cluster.docs('a').get('d0')).toEqual({ n: 100 });
  });

  it('lists each refused document with the reason, and throws when the whole request fails', async () => {
    const cluster = new MigrationCluster();
    cluster.failItem = (op) =>
      op.id === 'new'
        ? { status: 400, type: 'document_parsing_exception', reason: 'failed to parse [n]' }
        : undefined;
    expect(await writeBatch(cluster.client(), docs, 'index')).toEqual({
      written: 1,
      alreadyPresent: 0,
      failed: [{ index: 'a', id: 'new', reason: '400 document_parsing_exception: failed to parse [n]' }],
    });
    cluster.down = true;
    await expect(writeBatch(cluster.client(), docs, 'index')).rejects.toThrow(errors.ConnectionError);
  });
});

describe(describeElasticsearchError.name, () => {
  const response = (status: number): errors.ResponseError =>
    new errors.ResponseError({
      body: { error: { type: 'security_exception', reason: 'nope' }, status },
      statusCode: status,
      headers: {},
      warnings: null,
      meta: {} as never,
    });

  it('blocks the rest on an unreachable cluster or refused credentials, naming the node and the remedy', () => {
    expect(describeElasticsearchError(new errors.ConnectionError('connect ECONNREFUSED'), NODE, 'x')).toEqual(
      {
        message: `cannot reach Elasticsearch at ${NODE} (connect ECONNREFUSED): check --es-url or --es-host (or ES_URL) and that the cluster is running`,
        blocking: true,
      },
    );
    expect(describeElasticsearchError(response(401), NODE, 'x')).toMatchObject({
      message: expect.stringContaining(
        'refused the credentials (401: security_exception: nope): check --username',
      ) as string,
      blocking: true,
    });
    expect(
      describeElasticsearchError(new errors.ConnectionError('self-signed certificate in chain'), NODE, 'x')
        .message,
    ).toContain('--ca-cert');
  });

  it('does not block on a refusal of one request', () => {
    expect(describeElasticsearchError(response(403), NODE, 'creating a')).toMatchObject({
      message: expect.stringContaining('did not allow creating a (403') as string,
      blocking: false,
    });
    expect(describeElasticsearchError(response(500), NODE, 'creating a').blocking).toBe(false);
  });

  it('makes the target refuse later steps once blocked', () => {
    const target = new ElasticsearchTarget(new MigrationCluster().client(), ['http://user:secret@es:9200']);
    expect(target.node).toBe('http://es:9200');
    target.explain(new errors.ConnectionError('connect ECONNREFUSED'), 'listing');
    expect(() => target.check()).toThrow(/^not attempted: cannot reach Elasticsearch at http:\/\/es:9200/);
  });
});
