import { Client } from '@elastic/elasticsearch';
import Mock from '@elastic/elasticsearch-mock';
import { EXAMPLE_REQUEST } from '../prediction/predict-request.dto';
import { elasticsearchWindow } from './drift.sources';
import { messageDocumentRow } from './drift.window';

const source = (second: number, age: number | null) => ({
  '@timestamp': new Date(Date.UTC(2026, 10, 1, 8, 0, second)).toISOString(),
  entry_id: `e${second}`,
  http_path: '/predict',
  status_code: 200,
  model: 'logistic_regression@x',
  input_data: { ...EXAMPLE_REQUEST, AGE: age },
  result: { prediction: 1, probability: 0.9, risk_level: 'high' },
});

describe(messageDocumentRow.name, () => {
  it('reads the answers and the decision of a message document', () => {
    expect(messageDocumentRow(source(5, 61))).toEqual({
      answers: { ...EXAMPLE_REQUEST, AGE: 61 },
      prediction: 1,
      model: 'logistic_regression@x',
      timestamp: '2026-11-01T08:00:05.000Z',
    });
  });

  it.each([
    ['an answer missing (null in the index)', source(1, null)],
    ['no decision', { ...source(1, 60), result: { prediction: null } }],
    ['no time', { ...source(1, 60), '@timestamp': 5 }],
  ])('leaves out a document with %s', (_case, doc) => {
    expect(messageDocumentRow(doc)).toBeUndefined();
  });
});

describe(elasticsearchWindow.name, () => {
  function cluster(): { client: Client; bodies: Record<string, unknown>[] } {
    const mock = new Mock();
    const bodies: Record<string, unknown>[] = [];
    mock.add({ method: 'POST', path: '/ml-api-message-2026.11.01/_search' }, (params) => {
      bodies.push(params.body as Record<string, unknown>);
      return {
        hits: {
          total: { value: 3, relation: 'eq' },
          hits: [3, 2, 1].map((s) => ({ _id: `e${s}`, _index: 'i', _source: source(s, 60 + s) })),
        },
      };
    });
    return { client: new Client({ node: 'http://es.mock:9200', Connection: mock.getConnection() }), bodies };
  }

  it('asks the message index for the newest documents and reads them, newest first', async () => {
    const { client, bodies } = cluster();
    const rows = await elasticsearchWindow(client, 'ml-api-message-2026.11.01', 500);
    expect(rows.map((r) => r.answers.AGE)).toEqual([63, 62, 61]);
    expect(bodies[0]).toMatchObject({
      size: 500,
      sort: [{ '@timestamp': { order: 'desc' } }],
      query: { match_all: {} },
    });
  });

  it('asks for the documents since a time', async () => {
    const { client, bodies } = cluster();
    await elasticsearchWindow(client, 'ml-api-message-2026.11.01', 500, '2026-11-01T08:00:02.000Z');
    expect(bodies[0]).toMatchObject({
      size: 10_000,
      query: { range: { '@timestamp': { gte: '2026-11-01T08:00:02.000Z' } } },
    });
  });
});
