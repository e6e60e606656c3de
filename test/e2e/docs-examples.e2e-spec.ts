import type { NestExpressApplication } from '@nestjs/platform-express';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { EXAMPLE_REQUEST } from '../../src/prediction/predict-request.dto';
import { loggedEntries } from '../support/request-log/wait';
import { close, createTestApp, listen, ROOT } from './support/test-app';

/** The JSON block that follows `<!-- example: <name> -->` in a Markdown file. */
function documentedExample(file: string, name: string): unknown {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const marker = text.indexOf(`<!-- example: ${name}`);
  expect(marker).toBeGreaterThanOrEqual(0);
  const block = /```json\n([\s\S]*?)\n```/.exec(text.slice(marker));
  expect(block).not.toBeNull();
  return JSON.parse(block![1]) as unknown;
}

/** Keys, nesting and value types, not values: arrays by their first item, null apart from objects. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.length > 0 ? [shape(value[0])] : [];
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, shape(item)]));
  }
  return value === null ? 'null' : typeof value;
}

/** The examples people read are answers the code really gives: same keys, same nesting, same types. */
describe('examples in the docs (e2e)', () => {
  let app: NestExpressApplication;
  let url: string;

  beforeAll(async () => {
    app = await createTestApp();
    url = await listen(app);
  });
  afterAll(() => close(app));

  it("README's POST /predict answer has the shape of a real one", async () => {
    const res = await request(url).post('/predict').send(EXAMPLE_REQUEST).expect(200);
    expect(shape(documentedExample('README.md', 'predict'))).toEqual(shape(res.body));
  });

  it("docs/logging.md's log entry has the shape of a real one", async () => {
    await request(url).post('/predict').send(EXAMPLE_REQUEST).expect(200);
    const [entry] = await loggedEntries(app, 1);
    expect(shape(documentedExample('docs/logging.md', 'log-entry'))).toEqual(shape(entry));
  });
});
