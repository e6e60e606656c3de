import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DASHBOARDS,
  DATAVIEWS,
  KibanaClient,
  readSavedObjectsFile,
  savedObjectFiles,
  summariseSavedObjects,
} from './migration.kibana';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lungcheck-migration-kibana-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const put = async (path: string, text = '{"type":"dashboard","id":"d"}\n'): Promise<string> => {
  const full = join(dir, path);
  await mkdir(join(full, '..'), { recursive: true });
  await writeFile(full, text);
  return full;
};

describe(summariseSavedObjects.name, () => {
  it('counts objects by type and reads the missing references of the export details', () => {
    expect(
      summariseSavedObjects([
        { type: 'dashboard', id: 'd' },
        { type: 'lens', id: 'l' },
        { type: 'lens', id: 'm' },
        { exportedCount: 3, missingRefCount: 1, missingReferences: [{ type: 'index-pattern', id: 'gone' }] },
      ]),
    ).toEqual({
      objects: 3,
      keys: ['dashboard:d', 'lens:l', 'lens:m'],
      byType: { dashboard: 1, lens: 2 },
      missingReferences: ['index-pattern gone'],
    });
  });
});

describe(readSavedObjectsFile.name, () => {
  it('names the line that is not a saved object', async () => {
    const file = await put('x.ndjson', '{"type":"dashboard","id":"d"}\n{"title":"no type"}\n');
    await expect(readSavedObjectsFile(file)).rejects.toThrow(/x\.ndjson:2: not a saved object/);
  });
});

describe(savedObjectFiles.name, () => {
  it("takes a file as it is, and a backup folder's kibana/ file of the set", async () => {
    const file = await put('one.ndjson');
    expect(await savedObjectFiles(file, DASHBOARDS)).toEqual([file]);
    const views = await put('backup/kibana/dataviews.ndjson');
    await put('backup/kibana/dashboards.ndjson');
    expect(await savedObjectFiles(join(dir, 'backup'), DATAVIEWS)).toEqual([views]);
  });

  it('gives nothing for a set whose file a kibana folder lacks, and every .ndjson of another folder', async () => {
    await put('kibana/dataviews.ndjson');
    expect(await savedObjectFiles(join(dir, 'kibana'), DASHBOARDS)).toEqual([]);
    const a = await put('mine/a.ndjson');
    const b = await put('mine/b.ndjson');
    await put('mine/notes.txt');
    expect(await savedObjectFiles(join(dir, 'mine'), DASHBOARDS)).toEqual([a, b]);
  });

  it('says when the input does not exist', async () => {
    await expect(savedObjectFiles(join(dir, 'nope'), DATAVIEWS)).rejects.toThrow(/nope does not exist/);
  });
});

describe(KibanaClient.name, () => {
  const answer = (status: number, body: unknown): Response =>
    new Response(typeof body === 'string' ? body : JSON.stringify(body), { status });

  it('posts exports as JSON with kbn-xsrf and the credentials', async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const fetchFn = (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return answer(200, '{"type":"dashboard","id":"d"}\n');
    }) as typeof fetch;
    const client = new KibanaClient('http://kb:5601', 'ApiKey abc', fetchFn);
    expect(await client.exportObjects(DASHBOARDS)).toContain('"dashboard"');
    expect(calls[0]?.url).toBe('http://kb:5601/api/saved_objects/_export');
    expect(calls[0]?.init.headers).toMatchObject({
      'kbn-xsrf': 'lungcheck-migrate',
      authorization: 'ApiKey abc',
      'content-type': 'application/json',
    });
    expect(JSON.parse(String(calls[0]?.init.body))).toEqual({
      type: ['dashboard'],
      includeReferencesDeep: true,
    });
  });

  it('uploads an import as a multipart .ndjson file, with overwrite=true only when asked', async () => {
    const calls: { url: string; body: FormData }[] = [];
    const fetchFn = (async (url: string, init: RequestInit) => {
      calls.push({ url, body: init.body as FormData });
      return answer(200, { success: true, successCount: 1 });
    }) as typeof fetch;
    const client = new KibanaClient('http://kb:5601', undefined, fetchFn);
    await client.importObjects('{"type":"dashboard","id":"d"}\n', 'dashboards.ndjson', false);
    await client.importObjects('{"type":"dashboard","id":"d"}\n', 'saved.json', true);
    expect(calls.map((c) => c.url)).toEqual([
      'http://kb:5601/api/saved_objects/_import',
      'http://kb:5601/api/saved_objects/_import?overwrite=true',
    ]);
    const file = calls[1]?.body.get('file') as File;
    expect(file.name).toBe('saved.json.ndjson');
    expect(await file.text()).toBe('{"type":"dashboard","id":"d"}\n');
  });

  it('says what to check when Kibana cannot be reached, and attempts nothing more', async () => {
    const fetchFn = (async () => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:5601') });
    }) as typeof fetch;
    const client = new KibanaClient('http://kb:5601', undefined, fetchFn);
    await expect(client.exportObjects(DATAVIEWS)).rejects.toThrow(
      'cannot reach Kibana at http://kb:5601 (connect ECONNREFUSED 127.0.0.1:5601): check --kibana-url',
    );
    expect(() => client.check()).toThrow(/^not attempted: cannot reach Kibana/);
  });

  it("names refused credentials (401), missing privileges (403) and passes other errors' messages on", async () => {
    const replies = [
      answer(401, { statusCode: 401, message: 'unable to authenticate user' }),
      answer(403, { statusCode: 403, message: 'forbidden' }),
      answer(503, 'Kibana server is not ready yet'),
    ];
    const fetchFn = (async () => replies.shift()) as typeof fetch;
    const client = (): KibanaClient => new KibanaClient('http://kb:5601', undefined, fetchFn);
    await expect(client().exportObjects(DATAVIEWS)).rejects.toThrow(
      /refused the credentials \(401: unable to authenticate user\): check --username\/--password or --api-key/,
    );
    await expect(client().exportObjects(DATAVIEWS)).rejects.toThrow(
      /did not allow exporting the dataviews \(403/,
    );
    await expect(client().exportObjects(DATAVIEWS)).rejects.toThrow(
      'Kibana at http://kb:5601 answered 503 to exporting the dataviews: Kibana server is not ready yet',
    );
  });
});
