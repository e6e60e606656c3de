import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type Redis from 'ioredis';
import { messageDocument } from '../../src/log-shipping/log-shipping.documents';
import type { LogEntry } from '../../src/log-store/log-entry';
import { EXAMPLE_ANSWERS, predictionEntry } from '../support/log-shipping/entries';
import { REDIS_HOST, REDIS_PORT, testKeys, testRedis } from '../support/request-log/redis';

const ROOT = join(__dirname, '../..');
const DB = 10;
const execute = promisify(execFile);

/** `npm run drift` as a user runs it (ts-node), with only the given environment; its exit code and output. */
async function drift(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execute(
      process.execPath,
      ['-r', 'ts-node/register', 'src/cli/drift.ts', ...args],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', TS_NODE_TRANSPILE_ONLY: 'true', ...env },
        timeout: 60_000,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** `n` logged predictions, one a second, their ages from `age(i)`. */
const predictions = (n: number, age: (i: number) => number): LogEntry[] =>
  Array.from({ length: n }, (_, i) =>
    predictionEntry({
      timestamp: new Date(Date.UTC(2026, 10, 1, 8, 0, i)).toISOString(),
      data: {
        input_data: {
          ...EXAMPLE_ANSWERS,
          AGE: age(i),
          GENDER: i % 2,
          SMOKING: (i >> 1) % 2,
          COUGHING: (i >> 2) % 2,
        },
        model: 'logistic_regression@x',
      },
    }),
  );

describe('npm run drift', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lungcheck-drift-cli-'));

  function archive(entries: LogEntry[], name = 'ml-api-message-2026.11.01.ndjson'): string {
    const lines = entries.flatMap((e) => {
      const doc = messageDocument(e, 'ml-api-message');
      return [JSON.stringify({ index: { _index: doc.index, _id: doc.id } }), JSON.stringify(doc.source)];
    });
    const folder = mkdtempSync(join(dir, 'archive-'));
    writeFileSync(join(folder, name), `${lines.join('\n')}\n`);
    return folder;
  }

  it('builds the HTML report (and JSON) from an NDJSON archive, and flags the aged window', async () => {
    const folder = archive(predictions(150, () => 88));
    const out = join(dir, 'report.html');
    const json = join(dir, 'report.json');
    const res = await drift(['--source', 'file', '--input', folder, '--out', out, '--json', json]);
    expect(res.code).toBe(0);
    // The report's own sentence, as GET /drift gives it.
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(res.stdout).toBe(`${report.verdict} Report written to ${out}.\n`);
    expect(report.verdict).toMatch(/^AGE \(KS adjusted p < 1e-6\), .* have drifted; /);
    expect(report.window.size).toBe(150);
    expect(report.features.find((f: { feature: string }) => f.feature === 'AGE').level).toBe('DRIFT');
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('<tr data-feature="AGE" data-level="DRIFT">');
    expect(html).toContain('data-chart="distribution-age"');
    expect(html).toContain(report.verdict.replace(/&/g, '&amp;').replace(/</g, '&lt;'));
  });

  it('judges the newest --window predictions, or those --since a time', async () => {
    const folder = archive([...predictions(100, () => 88), ...predictions(0, () => 0)]);
    const json = join(dir, 'window.json');
    const res = await drift([
      '--source',
      'file',
      '--input',
      folder,
      '--window',
      '20',
      '--out',
      join(dir, 'w.html'),
      '--json',
      json,
    ]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('Not enough data: 20 predictions in the window, 100 needed.');
    const since = await drift([
      '--source',
      'file',
      '--input',
      folder,
      '--since',
      '2026-11-01T08:01:00Z',
      '--out',
      join(dir, 's.html'),
      '--json',
      json,
    ]);
    expect(since.code).toBe(0);
    expect(JSON.parse(readFileSync(json, 'utf8')).window.size).toBe(40);
  });

  it('names the file and line of a damaged archive and exits 1; a bad option exits 2', async () => {
    const folder = archive(predictions(3, () => 50));
    const file = join(folder, 'ml-api-message-2026.11.01.ndjson');
    writeFileSync(file, `${readFileSync(file, 'utf8')}{"cut short\n`);
    const damaged = await drift(['--source', 'file', '--input', folder, '--out', join(dir, 'd.html')]);
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toContain(`${file}:7 is not JSON`);
    const bad = await drift(['--source', 'sql']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("argument 'sql' is invalid. Allowed choices are redis, es, file");
  });

  describe('from Redis', () => {
    let redis: Redis;
    beforeAll(async () => {
      redis = await testRedis(DB);
    });
    afterAll(() => redis.quit());

    it("reads the service's log view, newest first, as GET /drift does", async () => {
      const keys = testKeys(redis, 'drift-cli');
      try {
        const view = `${keys.prefix}:view`;
        // The view holds the newest entry first: 120 of age 88 after 120 of ages around the training mean.
        const older = predictions(120, (i) => 55 + (i % 15));
        const newer = predictions(120, () => 88).map((e, i) => ({
          ...e,
          timestamp: new Date(Date.UTC(2026, 10, 2, 0, 0, i)).toISOString(),
        }));
        await redis.lpush(view, ...[...older, ...newer].map((e) => JSON.stringify(e)));
        const json = join(dir, 'redis.json');
        const res = await drift(
          ['--source', 'redis', '--window', '100', '--out', join(dir, 'r.html'), '--json', json],
          {
            REDIS_URL: `redis://${REDIS_HOST}:${REDIS_PORT}/${DB}`,
            REDIS_LOGS_KEY: view,
          },
        );
        expect(res.code).toBe(0);
        const report = JSON.parse(readFileSync(json, 'utf8'));
        expect(report.window).toMatchObject({ size: 100, from: '2026-11-02T00:00:20.000Z' });
        expect(report.features.find((f: { feature: string }) => f.feature === 'AGE').current.mean).toBe(88);
      } finally {
        await keys.cleanUp();
      }
    });

    it('says when no Redis is configured', async () => {
      const res = await drift(['--source', 'redis', '--out', join(dir, 'n.html')]);
      expect(res.code).toBe(1);
      expect(res.stderr).toContain('no Redis configured: set REDIS_URL or REDIS_HOST');
    });
  });
});
