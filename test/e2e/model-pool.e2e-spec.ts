import type { NestExpressApplication } from '@nestjs/platform-express';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import request from 'supertest';
import { modelVersionOf } from '../../src/model-pool/model-files';
import { OnnxSessionFactory } from '../../src/model-pool/onnx-session.factory';
import { EXAMPLE_REQUEST } from '../../src/prediction/predict-request.dto';
import { waitFor } from '../support/wait-for';
import { close, createTestApp, listen, MODEL_DIR } from './support/test-app';

describe('model pool (e2e)', () => {
  describe('with MODEL_POOL_SIZE=2', () => {
    let app: NestExpressApplication;
    let url: string;

    beforeAll(async () => {
      app = await createTestApp({ env: { MODEL_POOL_SIZE: '2' } });
      url = await listen(app);
    });
    afterAll(() => close(app));

    it('answers 200 parallel predictions, all counted', async () => {
      const responses = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          request(url)
            .post(i % 2 === 0 ? '/predict' : '/api/predict_proba')
            .send({ ...EXAMPLE_REQUEST, AGE: 20 + (i % 70) }),
        ),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(200).fill(200));
      expect(new Set(responses.map((r) => r.body.transaction_id)).size).toBe(200);
      const stats = await request(url).get('/pool/stats').expect(200);
      expect(stats.body.logistic_regression).toMatchObject({
        pool_size: 2,
        available: 2,
        in_use: 0,
        pending: 0,
        total_predictions: 200,
        avg_usage_per_instance: 100,
      });
      expect(stats.body.random_forest.total_predictions).toBe(0);
    });
  });

  describe('with every session busy', () => {
    /** Real sessions whose runs wait while the gate is shut: every session busy, without timing games. */
    class GatedSessions extends OnnxSessionFactory {
      gate: Promise<void> = Promise.resolve();
      override async create(model: Uint8Array): Promise<InferenceSession> {
        const session = await super.create(model);
        return new Proxy(session, {
          get: (target, key, receiver) =>
            key === 'run'
              ? async (...args: Parameters<InferenceSession['run']>) => {
                  await this.gate;
                  return target.run(...args);
                }
              : ((value: unknown) => (typeof value === 'function' ? value.bind(target) : value))(
                  Reflect.get(target, key, receiver),
                ),
        });
      }
    }
    const sessions = new GatedSessions();
    let app: NestExpressApplication;
    let url: string;

    beforeAll(async () => {
      app = await createTestApp({
        env: { MODEL_POOL_SIZE: '1', MODEL_ACQUIRE_TIMEOUT_MS: '50', MICRO_BATCH_MAX_ROWS: '0' },
        sessions,
      });
      url = await listen(app);
    });
    afterAll(() => close(app));

    it('answers 503 with Retry-After and the pool size after the acquire timeout, then recovers', async () => {
      let open!: () => void;
      sessions.gate = new Promise<void>((resolve) => (open = resolve));
      const held = request(url).post('/predict').send(EXAMPLE_REQUEST);
      const holding = held.then((res) => res.status);
      await waitFor('the only session to be in use', async () => {
        const stats = await request(url).get('/pool/stats');
        return stats.body.logistic_regression.in_use === 1;
      });

      const res = await request(url).post('/predict').send(EXAMPLE_REQUEST).expect(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.body.detail).toContain('pool size 1');
      expect(res.body.transaction_id).toBe(res.headers['x-transaction-id']);

      open();
      expect(await holding).toBe(200);
      await request(url).post('/predict').send(EXAMPLE_REQUEST).expect(200);
    });
  });

  describe('when the pool cannot be built', () => {
    /** Lets the first session of each model through, then fails, as when memory runs out. */
    class FirstSessionOnly extends OnnxSessionFactory {
      private readonly seen = new Set<Uint8Array>();
      override create(model: Uint8Array): Promise<InferenceSession> {
        if (this.seen.has(model)) {
          return Promise.reject(new Error('cannot allocate memory'));
        }
        this.seen.add(model);
        return super.create(model);
      }
    }

    it('refuses to start, with the reason: onnxruntime that cannot open a second session is broken', async () => {
      await expect(
        createTestApp({ env: { MODEL_POOL_SIZE: '3' }, sessions: new FirstSessionOnly() }),
      ).rejects.toThrow(
        /Cannot open 3 onnxruntime sessions for .*logistic_regression\.onnx \(MODEL_POOL_SIZE\): cannot allocate memory/,
      );
    });
  });

  describe('start-up', () => {
    let dir: string;
    const LR = 'logistic_regression';

    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'lungcheck-e2e-models-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('fails naming the model file when it is missing', async () => {
      copyFileSync(join(MODEL_DIR, `${LR}.card.json`), join(dir, `${LR}.card.json`));
      await expect(createTestApp({ env: { MODEL_DIR: dir } })).rejects.toThrow(
        `Model file not found: ${join(dir, `${LR}.onnx`)}`,
      );
    });

    it('fails naming the MODEL_PATH file when it is missing', async () => {
      await expect(createTestApp({ env: { MODEL_PATH: join(dir, 'gone.onnx') } })).rejects.toThrow(
        `Model file not found: ${join(dir, 'gone.onnx')} (MODEL_PATH)`,
      );
    });

    it('fails naming the card when it describes another file', async () => {
      writeFileSync(join(dir, `${LR}.onnx`), 'not the trained model');
      copyFileSync(join(MODEL_DIR, `${LR}.card.json`), join(dir, `${LR}.card.json`));
      await expect(createTestApp({ env: { MODEL_DIR: dir } })).rejects.toThrow(
        `Invalid model card ${join(dir, `${LR}.card.json`)}`,
      );
    });

    it('fails naming the model file when it is not a valid model', async () => {
      const garbage = Buffer.from('not an onnx model');
      writeFileSync(join(dir, `${LR}.onnx`), garbage);
      const card = JSON.parse(readFileSync(join(MODEL_DIR, `${LR}.card.json`), 'utf8')) as object;
      writeFileSync(
        join(dir, `${LR}.card.json`),
        JSON.stringify({ ...card, version: modelVersionOf(garbage) }),
      );
      await expect(createTestApp({ env: { MODEL_DIR: dir } })).rejects.toThrow(
        `Invalid model file ${join(dir, `${LR}.onnx`)}`,
      );
    });

    it('serves MODEL_PATH as the default model', async () => {
      const app = await createTestApp({ env: { MODEL_PATH: join(MODEL_DIR, 'random_forest.onnx') } });
      try {
        const url = await listen(app);
        const res = await request(url).post('/predict').send(EXAMPLE_REQUEST).expect(200);
        expect(res.body.model).toMatch(/^random_forest@/);
        expect((await request(url).get('/models')).body.default).toBe('random_forest');
      } finally {
        await app.close();
      }
    });
  });
});
