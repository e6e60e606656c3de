import type { NestExpressApplication } from '@nestjs/platform-express';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type { ModelCard } from '../../src/model-pool/model-card';
import { modelVersionOf } from '../../src/model-pool/model-files';
import { EXAMPLE_REQUEST } from '../../src/prediction/predict-request.dto';
import { waitFor } from '../support/wait-for';
import { close, createTestApp, listen, MODEL_DIR } from './support/test-app';

const LR = 'logistic_regression';
const versionOf = (name: string): string =>
  (JSON.parse(readFileSync(join(MODEL_DIR, `${name}.card.json`), 'utf8')) as ModelCard).version;
const OLD = `${LR}@${versionOf(LR)}`;
/** The "new version" of the logistic regression: the forest's files under its name (another valid model). */
const NEW = `${LR}@${versionOf('random_forest')}`;

/** Replaces `<dir>/logistic_regression.*` by the committed random forest's files, card last (as training does). */
function publishNewVersion(dir: string): void {
  copyFileSync(join(MODEL_DIR, 'random_forest.onnx'), join(dir, `${LR}.onnx`));
  copyFileSync(join(MODEL_DIR, 'random_forest.card.json'), join(dir, `${LR}.card.json`));
}

const servedVersion = async (url: string): Promise<string> => {
  const res = await request(url).get('/models').expect(200);
  return (res.body.models as { name: string; model: string }[]).find((m) => m.name === LR)!.model;
};

describe('model reload (e2e)', () => {
  let dir: string;
  let app: NestExpressApplication | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lungcheck-reload-'));
    cpSync(MODEL_DIR, dir, { recursive: true });
  });
  afterEach(async () => {
    await close(app);
    app = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('swaps a changed model under 20 concurrent clients without a failed request', async () => {
    app = await createTestApp({ env: { MODEL_DIR: dir, MODEL_POOL_SIZE: '2' } });
    const url = await listen(app);
    const before = await request(url).get('/models').expect(200);
    const loadedAt = (before.body.models as { name: string; loaded_at: string }[]).find(
      (m) => m.name === LR,
    )!.loaded_at;

    let swapped = false;
    let reloadedAt = Infinity;
    const failures: string[] = [];
    /** Per client, the model of each answer and when its request started relative to the reload's answer. */
    const seen: { model: string; startedAfterReload: boolean }[][] = [];
    const client = async (id: number): Promise<void> => {
      seen[id] = [];
      for (let i = 0; !swapped || i < 40; i++) {
        const startedAt = Date.now();
        const res = await request(url).post('/predict').send(EXAMPLE_REQUEST);
        if (res.status !== 200) {
          failures.push(`${res.status} ${JSON.stringify(res.body)}`);
          continue;
        }
        seen[id].push({ model: res.body.model as string, startedAfterReload: startedAt > reloadedAt });
        if (i > 200) {
          break;
        }
      }
    };
    const clients = Array.from({ length: 20 }, (_, id) => client(id));
    await waitFor(
      'every client to have had an answer',
      () => seen.length === 20 && seen.every((s) => s?.length),
    );

    publishNewVersion(dir);
    const reload = await request(url)
      .post('/models/reload')
      .set('Content-Type', 'application/json')
      .send('{}');
    reloadedAt = Date.now();
    swapped = true;
    await Promise.all(clients);

    expect(reload.status).toBe(200);
    expect(reload.body).toEqual({
      loaded: [{ name: LR, from: OLD, to: NEW }],
      unchanged: ['random_forest'],
      refused: [],
    });
    expect(failures).toEqual([]);
    for (const answers of seen) {
      const models = answers.map((a) => a.model);
      // Old answers, then new ones: never the old version after the new one, and only new after the reload.
      const firstNew = models.indexOf(NEW);
      expect(models[0]).toBe(OLD);
      expect(firstNew).toBeGreaterThan(0);
      expect(models.slice(firstNew).every((m) => m === NEW)).toBe(true);
      expect(answers.filter((a) => a.startedAfterReload).every((a) => a.model === NEW)).toBe(true);
    }
    const after = await request(url).get('/models').expect(200);
    const summary = (after.body.models as { name: string; model: string; loaded_at: string }[]).find(
      (m) => m.name === LR,
    )!;
    expect(summary.model).toBe(NEW);
    expect(Date.parse(summary.loaded_at)).toBeGreaterThan(Date.parse(loadedAt));
    // The default stays the default, first in the list, although the new version's card says "default": false.
    expect(
      (after.body.models as { name: string; default: boolean }[]).map((m) => [m.name, m.default]),
    ).toEqual([
      [LR, true],
      ['random_forest', false],
    ]);
    const answer = await request(url).post('/predict').send(EXAMPLE_REQUEST).expect(200);
    expect(answer.body.model).toBe(NEW);
    const stats = await request(url).get('/pool/stats').expect(200);
    expect(stats.body[LR].total_predictions).toBeGreaterThan(0);
  }, 60_000);

  it.each([
    [
      'an ONNX file that is not a model (its card naming its hash)',
      (): void => {
        writeFileSync(join(dir, `${LR}.onnx`), 'garbage');
        const card = JSON.parse(readFileSync(join(dir, `${LR}.card.json`), 'utf8')) as ModelCard;
        const version = modelVersionOf(Buffer.from('garbage'));
        writeFileSync(join(dir, `${LR}.card.json`), JSON.stringify({ ...card, version }));
      },
      /^Invalid model file \S+logistic_regression\.onnx: /,
    ],
    [
      'a card describing another file',
      (): void => copyFileSync(join(MODEL_DIR, 'random_forest.onnx'), join(dir, `${LR}.onnx`)),
      /^Invalid model card \S+logistic_regression\.card\.json: it describes version \w{12} but \S+ is version \w{12}/,
    ],
    [
      "a card whose explanation does not fit the file (another model's)",
      (): void => {
        const card = JSON.parse(readFileSync(join(dir, `${LR}.card.json`), 'utf8')) as ModelCard;
        const forest = JSON.parse(
          readFileSync(join(MODEL_DIR, 'random_forest.card.json'), 'utf8'),
        ) as ModelCard;
        writeFileSync(
          join(dir, `${LR}.card.json`),
          JSON.stringify({ ...card, explanation: forest.explanation }),
        );
      },
      /^Invalid model card \S+logistic_regression\.card\.json: "explanation\.method" tree-shap\+equal-split does not explain a logistic_regression model$/,
    ],
  ])('refuses %s with the reason, and the old model goes on serving', async (_what, breakIt, reason) => {
    app = await createTestApp({ env: { MODEL_DIR: dir } });
    const url = await listen(app);
    breakIt();
    const reload = await request(url)
      .post('/models/reload')
      .set('Content-Type', 'application/json')
      .send('{}');
    expect(reload.status).toBe(422);
    expect(reload.body.loaded).toEqual([]);
    expect(reload.body.refused).toEqual([
      { name: LR, file: join(dir, `${LR}.onnx`), reason: expect.stringMatching(reason) as string },
    ]);
    expect(await servedVersion(url)).toBe(OLD);
    const res = await request(url).post('/predict').send(EXAMPLE_REQUEST).expect(200);
    expect(res.body.model).toBe(OLD);
  });

  it('answers "unchanged" when nothing changed', async () => {
    app = await createTestApp({ env: { MODEL_DIR: dir } });
    const url = await listen(app);
    const reload = await request(url)
      .post('/models/reload')
      .set('Content-Type', 'application/json')
      .send('{}')
      .expect(200);
    expect(reload.body).toEqual({ loaded: [], unchanged: [LR, 'random_forest'], refused: [] });
  });

  it('is an admin endpoint: behind the API key when one is set', async () => {
    const key = 'k'.repeat(32);
    app = await createTestApp({ env: { MODEL_DIR: dir, API_KEY: key } });
    const url = await listen(app);
    const refused = await request(url)
      .post('/models/reload')
      .set('Content-Type', 'application/json')
      .send('{}');
    expect(refused.status).toBe(401);
    const allowed = await request(url)
      .post('/models/reload')
      .set('Content-Type', 'application/json')
      .set('X-API-Key', key)
      .send('{}');
    expect(allowed.status).toBe(200);
  });

  it('MODEL_WATCH=true loads a changed model by itself', async () => {
    app = await createTestApp({ env: { MODEL_DIR: dir, MODEL_WATCH: 'true' } });
    const url = await listen(app);
    expect(await servedVersion(url)).toBe(OLD);
    publishNewVersion(dir);
    await waitFor('the watcher to load the new version', async () => (await servedVersion(url)) === NEW);
    const res = await request(url).post('/predict').send(EXAMPLE_REQUEST).expect(200);
    expect(res.body.model).toBe(NEW);
  });
});
