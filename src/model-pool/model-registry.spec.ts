import { Logger } from '@nestjs/common';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { onnx } from 'onnx-proto';
import type { InferenceSession } from 'onnxruntime-node';
import { AppConfig } from '../config/app-config';
import { validateEnv } from '../config/env.schema';
import type { ModelCard } from './model-card';
import { ModelLoadError, modelVersionOf } from './model-files';
import { ModelRegistry, UnknownModelException } from './model-registry';
import { OnnxSessionFactory } from './onnx-session.factory';
import { RecordingLogger } from '../../test/support/recording-logger';

const MODEL_DIR = join(__dirname, '../../model');
const LR = 'logistic_regression';
const RF = 'random_forest';

const bytesOf = (name: string): Buffer => readFileSync(join(MODEL_DIR, `${name}.onnx`));
const cardOf = (name: string): ModelCard =>
  JSON.parse(readFileSync(join(MODEL_DIR, `${name}.card.json`), 'utf8')) as ModelCard;

/** The committed logistic regression with its graph edited: a model that loads but breaks the interface. */
function editedLR(edit: (graph: onnx.IGraphProto) => void): Uint8Array {
  const model = onnx.ModelProto.decode(bytesOf(LR));
  edit(model.graph!);
  return onnx.ModelProto.encode(model).finish();
}

/** Keeps every session it creates, to check that they are released. */
class RecordingSessionFactory extends OnnxSessionFactory {
  readonly created: InferenceSession[] = [];

  override async create(model: Uint8Array): Promise<InferenceSession> {
    const session = await super.create(model);
    this.created.push(session);
    return session;
  }
}

/** Creates the first session of each model, then fails: the pools cannot be built. */
class OneSessionPerModelFactory extends OnnxSessionFactory {
  private readonly seen = new Set<Uint8Array>();

  override create(model: Uint8Array): Promise<InferenceSession> {
    if (this.seen.has(model)) {
      return Promise.reject(new Error('out of memory'));
    }
    this.seen.add(model);
    return super.create(model);
  }
}

/** Whether a session was released: onnxruntime refuses to run a disposed session. */
const released = (session: InferenceSession): Promise<boolean> =>
  session.release().then(
    () => false,
    (error: Error) => error.message === 'Session already disposed.',
  );

describe(ModelRegistry.name, () => {
  let dir: string;
  let logs: RecordingLogger;
  const registries: ModelRegistry[] = [];

  const registry = (env: Record<string, string> = {}, sessions = new OnnxSessionFactory()): ModelRegistry => {
    const created = new ModelRegistry(
      new AppConfig(validateEnv({ MODEL_DIR, MODEL_POOL_SIZE: '1', ...env })),
      sessions,
    );
    registries.push(created);
    return created;
  };
  const loaded = async (env: Record<string, string> = {}): Promise<ModelRegistry> => {
    const created = registry(env);
    await created.onModuleInit();
    return created;
  };

  /** Writes `<name>.onnx` (a committed model's bytes, or `bytes`) and its card (the committed one, edited). */
  const writeModel = (
    name: string,
    {
      from = LR,
      card = {},
      bytes = bytesOf(from),
    }: { from?: string; card?: object; bytes?: Uint8Array } = {},
  ): string => {
    const onnxPath = join(dir, `${name}.onnx`);
    writeFileSync(onnxPath, bytes);
    const content = { ...cardOf(from), version: modelVersionOf(bytes), ...card };
    writeFileSync(join(dir, `${name}.card.json`), JSON.stringify(content));
    return onnxPath;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lungcheck-registry-'));
    logs = new RecordingLogger();
    Logger.overrideLogger(logs);
  });
  afterEach(async () => {
    await Promise.all(registries.splice(0).map((r) => r.onModuleDestroy()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('summarises the cards of the models of MODEL_DIR, the default first', async () => {
    const models = await loaded();
    const [lr, rf] = [cardOf(LR), cardOf(RF)];
    expect(models.list()).toEqual([
      {
        name: LR,
        version: lr.version,
        model: `${LR}@${lr.version}`,
        family: LR,
        default: true,
        threshold: 0.502073,
        threshold_rule: 'f2',
        created_at: lr.created_at,
        cv_metrics: {
          roc_auc: 0.933283,
          pr_auc: 0.989251,
          brier: 0.071384,
          balanced_accuracy: 0.735888,
          recall: 0.968918,
          specificity: 0.502857,
        },
        loaded_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/) as string,
        explainable: true,
      },
      {
        name: RF,
        version: rf.version,
        model: `${RF}@${rf.version}`,
        family: RF,
        default: false,
        threshold: 0.593691,
        threshold_rule: 'f2',
        created_at: rf.created_at,
        cv_metrics: {
          roc_auc: 0.923275,
          pr_auc: 0.987482,
          brier: 0.076876,
          balanced_accuracy: 0.748156,
          recall: 0.956312,
          specificity: 0.54,
        },
        loaded_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/) as string,
        explainable: true,
      },
    ]);
  });

  it('lists no metrics for a card without cross-validation', async () => {
    writeModel(LR, { card: { cv: undefined } });
    const models = await loaded({ MODEL_DIR: dir });
    expect(models.list()[0]).toMatchObject({ name: LR, cv_metrics: {} });
  });

  it.each([
    ['1', 'pool of 1 session'],
    ['2', 'pool of 2 sessions'],
  ])(
    'logs each model it serves, the default marked, with its threshold and pool (MODEL_POOL_SIZE=%s)',
    async (size, pool) => {
      await loaded({ MODEL_POOL_SIZE: size });
      const shown = (name: string): string => relative(process.cwd(), join(MODEL_DIR, `${name}.onnx`));
      expect(logs.lines.filter((line) => line.includes('Serving'))).toEqual([
        `log: Serving ${LR}@${cardOf(LR).version} (default) from ${shown(LR)}: threshold 0.502073, ${pool}`,
        `log: Serving ${RF}@${cardOf(RF).version} from ${shown(RF)}: threshold 0.593691, ${pool}`,
      ]);
    },
  );

  it('logs the models whose sessions it released at shutdown', async () => {
    const models = await loaded();
    await models.onModuleDestroy();
    expect(logs.lines).toContain(
      `log: Released the sessions of ${LR}@${cardOf(LR).version}, ${RF}@${cardOf(RF).version}`,
    );
  });

  it('logs nothing at shutdown when it held no model', async () => {
    await registry().onModuleDestroy();
    expect(logs.lines).toEqual([]);
  });

  it('refuses to start, naming the model and the reason, when its pool cannot be built', async () => {
    const models = registry({ MODEL_POOL_SIZE: '2' }, new OneSessionPerModelFactory());
    await expect(models.onModuleInit()).rejects.toThrow(
      new RegExp(`Cannot open 2 onnxruntime sessions for .*${LR}\\.onnx \\(MODEL_POOL_SIZE\\)`),
    );
  });

  it('shows the pool of each model, the default first', async () => {
    const models = await loaded();
    const pool = (name: string): object => ({
      pool_size: 1,
      available: 1,
      in_use: 0,
      pending: 0,
      total_predictions: 0,
      avg_usage_per_instance: 0,
      model_path: join(MODEL_DIR, `${name}.onnx`),
    });
    const stats = models.poolStats();
    expect(Object.keys(stats)).toEqual([LR, RF]);
    expect(stats).toEqual({ [LR]: pool(LR), [RF]: pool(RF) });
  });

  it('finds a model by its name, spaces around it ignored', async () => {
    const models = await loaded();
    expect(models.get(' random_forest ').name).toBe(RF);
  });

  it.each([undefined, '', 'sklearn', 'onnx'])('answers %j with the default model', async (name) => {
    const models = await loaded();
    expect(models.get(name).name).toBe(LR);
  });

  it('refuses an unknown name with a 400 listing the loaded models', async () => {
    const models = await loaded();
    expect(() => models.get('xgboost')).toThrow(UnknownModelException);
    expect(() => models.get('xgboost')).toThrow(
      'Type de modèle invalide: xgboost. Modèles disponibles : logistic_regression, random_forest',
    );
  });

  it('has a model only between start-up and shutdown', async () => {
    const models = registry();
    expect(models.isLoaded()).toBe(false);
    expect(() => models.defaultModel()).toThrow('No model is loaded');
    await models.onModuleInit();
    expect(models.isLoaded()).toBe(true);
    await models.onModuleDestroy();
    expect(models.isLoaded()).toBe(false);
    expect(() => models.defaultModel()).toThrow('No model is loaded');
  });

  it('serves the MODEL_PATH model as the default, first in every list', async () => {
    const models = await loaded({ MODEL_PATH: join(MODEL_DIR, `${RF}.onnx`) });
    expect(models.defaultModel().name).toBe(RF);
    expect(models.names()).toEqual([RF, LR]);
    expect(models.list().map((m) => [m.name, m.default])).toEqual([
      [RF, true],
      [LR, false],
    ]);
    expect(Object.keys(models.poolStats())).toEqual([RF, LR]);
  });

  it('serves as the default the model its card says is, without a warning', async () => {
    writeModel(LR, { card: { default: false } });
    writeModel(RF, { from: RF, card: { default: true } });
    const models = await loaded({ MODEL_DIR: dir });
    expect(models.defaultModel().name).toBe(RF);
    expect(logs.lines.filter((line) => line.startsWith('warn:'))).toEqual([]);
  });

  it('uses the first model by name as the default, and warns, when no card says it is the default', async () => {
    writeModel(LR, { card: { default: false } });
    writeModel(RF, { from: RF, card: { default: false } });
    const models = await loaded({ MODEL_DIR: dir });
    expect(models.defaultModel().name).toBe(LR);
    expect(logs.lines).toContain(
      `warn: 0 model cards say "default": true (expected exactly one); using ${LR} as the default`,
    );
  });

  it.each([
    [
      'a model file that cannot be read',
      () => {
        mkdirSync(join(dir, 'broken.onnx'));
        writeFileSync(join(dir, 'broken.card.json'), JSON.stringify(cardOf(LR)));
      },
      /^Cannot read model file \S+\/broken\.onnx: Error: EISDIR: illegal operation on a directory/,
    ],
    [
      'a model file onnxruntime cannot load',
      () => writeModel('broken', { bytes: Buffer.from('not an ONNX model') }),
      /^Invalid model file \S+\/broken\.onnx: (Error: )?Failed to load model because protobuf parsing failed\.$/,
    ],
    [
      'a card naming another input',
      () => writeModel('broken', { card: { onnx: { ...cardOf(LR).onnx, input: 'x' } } }),
      /^Invalid model file \S+\/broken\.onnx: no input "x" \(it has features\)$/,
    ],
    [
      'a card naming another output',
      () => writeModel('broken', { card: { onnx: { ...cardOf(LR).onnx, probabilities_output: 'scores' } } }),
      /^Invalid model file \S+\/broken\.onnx: no output "scores" \(it has label, probabilities\)$/,
    ],
    [
      'an output that is not two probabilities',
      () => writeModel('broken', { card: { onnx: { ...cardOf(LR).onnx, probabilities_output: 'label' } } }),
      /^Invalid model file \S+\/broken\.onnx: "label" must be 2 probabilities adding up to 1 per row, got \[0, 1\] for 2 rows$/,
    ],
    [
      'an output of one probability per row',
      () =>
        writeModel('broken', {
          bytes: editedLR((graph) => graph.output!.push({ name: 'p1' })),
          card: { onnx: { ...cardOf(LR).onnx, probabilities_output: 'p1' } },
        }),
      /^Invalid model file \S+\/broken\.onnx: "p1" must be 2 probabilities adding up to 1 per row, got \[0\.01581\d*, 0\.96591\d*\] for 2 rows$/,
    ],
    [
      'a model answering an infinite probability',
      () =>
        writeModel('broken', {
          // p0 = one - p1, with one = Infinity.
          bytes: editedLR(
            (graph) => (graph.initializer!.find((t) => t.name === 'one')!.floatData = [Infinity]),
          ),
        }),
      /^Invalid model file \S+\/broken\.onnx: "probabilities" must be 2 probabilities adding up to 1 per row, got \[Infinity, 0\.01581\d*, Infinity, 0\.96591\d*\] for 2 rows$/,
    ],
  ])('fails start-up on %s, naming the file', async (_what, write, message) => {
    write();
    const models = registry({ MODEL_DIR: dir });
    const error = await models.onModuleInit().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect((error as Error).message).toMatch(message);
    expect(models.isLoaded()).toBe(false);
  });

  it('releases every session it opened when a model fails to load', async () => {
    writeModel(LR);
    writeModel('zz_broken', { card: { onnx: { ...cardOf(LR).onnx, input: 'x' } } });
    const sessions = new RecordingSessionFactory();
    const models = registry({ MODEL_DIR: dir }, sessions);
    await expect(models.onModuleInit()).rejects.toThrow('no input "x"');
    expect(sessions.created).toHaveLength(2);
    await expect(Promise.all(sessions.created.map(released))).resolves.toEqual([true, true]);
    expect(models.isLoaded()).toBe(false);
  });
});
