import { Logger } from '@nestjs/common';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { onnx } from 'onnx-proto';
import type { InferenceSession } from 'onnxruntime-node';
import { AppConfig } from '../config/app-config';
import { validateEnv } from '../config/env.schema';
import { FEATURE_COUNT, FEATURE_ORDER } from '../features/features';
import type { ModelCard } from './model-card';
import { ModelLoadError, modelVersionOf } from './model-files';
import { ModelRegistry, UnknownModelException } from './model-registry';
import { OnnxSessionFactory } from './onnx-session.factory';
import { RecordingLogger } from '../../test/support/recording-logger';
import { waitFor } from '../../test/support/wait-for';

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

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const scalar = (name: string, value: number): onnx.ITensorProto => ({
  name,
  dataType: FLOAT,
  dims: [],
  floatData: [value],
});

/**
 * The committed logistic regression with its probabilities skewed after the Sigmoid (which its explanation does not
 * see): `p1` scaled by `p1Scale` (p0 = 1 − p1 still: the rows add up to 1, but the explanation ends at the unscaled
 * p1), and `p0` shifted by `zeroRow` on the all-zero row and by `example` on the example's row (GENDER, 0 in the one
 * and 1 in the other, picks the row). A shift adds a consumer of the input, which the linear explanation refuses:
 * load such a model with a card without `explanation`.
 */
function skewedLR({ p1Scale = 1, zeroRow = 0, example = 0 }): Uint8Array {
  return editedLR((graph) => {
    const nodes = graph.node!;
    const at = (output: string): number => nodes.findIndex((n) => n.output![0] === output);
    graph.initializer!.push(scalar('p1_scale', p1Scale));
    nodes.splice(at('p1') + 1, 0, {
      name: 'scale_p1',
      opType: 'Mul',
      input: ['p1', 'p1_scale'],
      output: ['p1s'],
    });
    nodes[at('p0')]!.input = ['one', 'p1s'];
    const concat = nodes.find((n) => n.opType === 'Concat')!;
    concat.input = ['p0', 'p1s'];
    if (zeroRow !== 0 || example !== 0) {
      const weights = new Array<number>(FEATURE_COUNT).fill(0);
      weights[FEATURE_ORDER.indexOf('GENDER')] = example - zeroRow;
      graph.initializer!.push(
        { name: 'shift_weights', dataType: FLOAT, dims: [FEATURE_COUNT, 1], floatData: weights },
        scalar('shift_zero_row', zeroRow),
      );
      nodes.splice(
        at('p0') + 1,
        0,
        {
          name: 'shift_by_row',
          opType: 'MatMul',
          input: ['features', 'shift_weights'],
          output: ['row_shift'],
        },
        { name: 'shift', opType: 'Add', input: ['row_shift', 'shift_zero_row'], output: ['p0_shift'] },
        { name: 'shift_p0', opType: 'Add', input: ['p0', 'p0_shift'], output: ['p0s'] },
      );
      concat.input = ['p0s', 'p1s'];
    }
  });
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
    [
      'probabilities of the example adding up to 1.8',
      () => writeModel('broken', { bytes: skewedLR({ example: 0.8 }), card: { explanation: undefined } }),
      /^Invalid model file \S+\/broken\.onnx: "probabilities" must be 2 probabilities adding up to 1 per row, got \[0\.98418\d*, 0\.01581\d*, 0\.83408\d*, 0\.96591\d*\] for 2 rows$/,
    ],
    [
      'probabilities of the all-zero row adding up to 0.2',
      () => writeModel('broken', { bytes: skewedLR({ zeroRow: -0.8 }), card: { explanation: undefined } }),
      /^Invalid model file \S+\/broken\.onnx: "probabilities" must be 2 probabilities adding up to 1 per row, got \[0\.18418\d*, 0\.01581\d*, 0\.03408\d*, 0\.96591\d*\] for 2 rows$/,
    ],
    [
      'probabilities of the example adding up to 1 + 1.5e-4',
      () => writeModel('broken', { bytes: skewedLR({ example: 1.5e-4 }), card: { explanation: undefined } }),
      /^Invalid model file \S+\/broken\.onnx: "probabilities" must be 2 probabilities adding up to 1 per row, got \[0\.98418\d*, 0\.01581\d*, 0\.03423\d*, 0\.96591\d*\] for 2 rows$/,
    ],
    [
      'probabilities of the all-zero row adding up to 1 − 1.5e-4',
      () => writeModel('broken', { bytes: skewedLR({ zeroRow: -1.5e-4 }), card: { explanation: undefined } }),
      /^Invalid model file \S+\/broken\.onnx: "probabilities" must be 2 probabilities adding up to 1 per row, got \[0\.98403\d*, 0\.01581\d*, 0\.03408\d*, 0\.96591\d*\] for 2 rows$/,
    ],
    [
      "an explanation ending 1.5e-4 below the model's probability",
      () => writeModel('broken', { bytes: skewedLR({ p1Scale: 1 + 1.5e-4 / 0.96591 }) }),
      /^Invalid model file \S+\/broken\.onnx: the explanation of the example ends at 0\.96591\d*, the model answers 0\.96606\d*: its card's explanation does not describe this file$/,
    ],
    [
      "an explanation ending 0.4 above the model's probability",
      () => writeModel('broken', { bytes: skewedLR({ p1Scale: 0.56591 / 0.96591 }) }),
      /^Invalid model file \S+\/broken\.onnx: the explanation of the example ends at 0\.96591\d*, the model answers 0\.56591\d*: its card's explanation does not describe this file$/,
    ],
  ])('fails start-up on %s, naming the file', async (_what, write, message) => {
    write();
    const models = registry({ MODEL_DIR: dir });
    const error = await models.onModuleInit().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect((error as Error).message).toMatch(message);
    expect(models.isLoaded()).toBe(false);
  });

  it('serves a model whose rows add up to 1, and whose explanation ends at its probability, within 1e-4', async () => {
    writeModel('scaled', { bytes: skewedLR({ p1Scale: 1 + 0.9e-4 / 0.96591 }) });
    writeModel('shifted', {
      bytes: skewedLR({ zeroRow: -0.9e-4, example: 0.9e-4 }),
      card: { explanation: undefined, default: false },
    });
    const models = await loaded({ MODEL_DIR: dir });
    expect(models.list().map((m) => [m.name, m.explainable])).toEqual([
      ['scaled', true],
      ['shifted', false],
    ]);
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

  describe('reload', () => {
    const idOf = (name: string, from = name): string => `${name}@${cardOf(from).version}`;
    const changedAt = '2027-01-01T00:00:00.000Z';
    /** The committed pair in a directory of its own, loaded. */
    const serving = async (sessions?: OnnxSessionFactory): Promise<ModelRegistry> => {
      writeModel(LR);
      writeModel(RF, { from: RF });
      const models = registry({ MODEL_DIR: dir }, sessions);
      await models.onModuleInit();
      return models;
    };
    const releasedLine = (id: string): string => `log: Released the sessions of ${id}`;

    it('keeps the default model the default when it replaces it, whatever the new card says', async () => {
      const models = await serving();
      // The forest's files under the logistic regression's name: its card says "default": false.
      writeModel(LR, { from: RF });
      expect(await models.reload()).toEqual({
        loaded: [{ name: LR, from: idOf(LR), to: idOf(LR, RF) }],
        unchanged: [RF],
        refused: [],
      });
      expect(models.defaultModel().id).toBe(idOf(LR, RF));
      expect(models.get().id).toBe(idOf(LR, RF));
      expect(models.list().map((m) => [m.model, m.default])).toEqual([
        [idOf(LR, RF), true],
        [idOf(RF), false],
      ]);
      expect(logs.lines).toContain(`log: Reloaded ${LR}: now serving ${idOf(LR, RF)} (was ${idOf(LR)})`);
    });

    it('keeps a replaced model that was not the default, and a new model, out of the default', async () => {
      const models = await serving();
      writeModel(RF, { from: RF, card: { default: true, created_at: changedAt } });
      writeModel('zz_new', { card: { default: true } });
      expect(await models.reload()).toEqual({
        loaded: [
          { name: RF, from: idOf(RF), to: idOf(RF) },
          { name: 'zz_new', to: `zz_new@${cardOf(LR).version}` },
        ],
        unchanged: [LR],
        refused: [],
      });
      expect(models.defaultModel().name).toBe(LR);
      expect(models.list().map((m) => [m.name, m.default, m.created_at])).toEqual([
        [LR, true, cardOf(LR).created_at],
        [RF, false, changedAt],
        ['zz_new', false, cardOf(LR).created_at],
      ]);
      expect(logs.lines).toContain(
        `log: Reloaded zz_new: now serving zz_new@${cardOf(LR).version} (new model)`,
      );
    });

    it('leaves the models as they are when nothing changed', async () => {
      const models = await serving();
      const before = [models.get(LR), models.get(RF)];
      expect(await models.reload()).toEqual({ loaded: [], unchanged: [LR, RF], refused: [] });
      expect([models.get(LR), models.get(RF)]).toEqual(before);
      expect(models.get(LR)).toBe(before[0]);
      expect(logs.lines.filter((line) => line.includes('Reloaded'))).toEqual([]);
    });

    it('refuses a file that fails to load, with the reason, and the model of that name goes on serving', async () => {
      const models = await serving();
      const lr = models.get(LR);
      writeModel(LR, { card: { onnx: { ...cardOf(LR).onnx, input: 'x' } } });
      writeModel('zz_broken', { card: { onnx: { ...cardOf(LR).onnx, input: 'x' } } });
      const reason = (name: string): string =>
        `Invalid model file ${join(dir, `${name}.onnx`)}: no input "x" (it has features)`;
      expect(await models.reload()).toEqual({
        loaded: [],
        unchanged: [RF],
        refused: [
          { name: LR, file: join(dir, `${LR}.onnx`), reason: reason(LR) },
          { name: 'zz_broken', file: join(dir, 'zz_broken.onnx'), reason: reason('zz_broken') },
        ],
      });
      expect(models.get(LR)).toBe(lr);
      expect(models.names()).toEqual([LR, RF]);
      expect(logs.lines.filter((line) => line.startsWith('error:'))).toEqual([
        `error: Refused ${join(dir, `${LR}.onnx`)}: ${reason(LR)}; ${idOf(LR)} goes on serving`,
        `error: Refused ${join(dir, 'zz_broken.onnx')}: ${reason('zz_broken')}`,
      ]);
    });

    it('refuses everything, naming MODEL_DIR, when the directory has gone; the models go on serving', async () => {
      const models = await serving();
      rmSync(dir, { recursive: true, force: true });
      expect(await models.reload()).toEqual({
        loaded: [],
        unchanged: [],
        refused: [{ name: '*', file: dir, reason: `Model directory not found: ${dir} (MODEL_DIR)` }],
      });
      expect(models.names()).toEqual([LR, RF]);
    });

    it('releases a replaced model’s sessions once its last request has finished, at once when it had none', async () => {
      const sessions = new RecordingSessionFactory();
      const models = await serving(sessions);
      const [lrSession, rfSession] = sessions.created;
      writeModel(LR, { card: { created_at: changedAt } });
      writeModel(RF, { from: RF, card: { created_at: changedAt } });
      await models.use(LR, async (old) => {
        expect(await models.reload()).toMatchObject({ loaded: [{ name: LR }, { name: RF }] });
        expect(models.get(LR)).not.toBe(old);
        await waitFor('the idle forest to be released', () => logs.lines.includes(releasedLine(idOf(RF))));
        // The request still running on the old logistic regression keeps its sessions.
        await expect(old.pool.predictProba(new Float32Array(FEATURE_COUNT), 1)).resolves.toBeDefined();
        expect(logs.lines).not.toContain(releasedLine(idOf(LR)));
      });
      await waitFor('the old logistic regression to be released', () =>
        logs.lines.includes(releasedLine(idOf(LR))),
      );
      await expect(Promise.all([lrSession, rfSession].map((s) => released(s!)))).resolves.toEqual([
        true,
        true,
      ]);
      // The new ones serve.
      await expect(
        models.use(LR, (model) => model.pool.predictProba(new Float32Array(FEATURE_COUNT), 1)),
      ).resolves.toBeDefined();
    });

    it('runs one reload after another', async () => {
      const models = await serving();
      writeModel(LR, { card: { created_at: changedAt } });
      const [first, second] = await Promise.all([models.reload(), models.reload()]);
      expect(first).toEqual({
        loaded: [{ name: LR, from: idOf(LR), to: idOf(LR) }],
        unchanged: [RF],
        refused: [],
      });
      expect(second).toEqual({ loaded: [], unchanged: [LR, RF], refused: [] });
    });

    it('lets a reload in progress finish before it releases everything at shutdown', async () => {
      const models = await serving();
      writeModel(LR, { card: { created_at: changedAt } });
      const reloading = models.reload();
      await models.onModuleDestroy();
      await expect(reloading).resolves.toMatchObject({ loaded: [{ name: LR }] });
      expect(models.isLoaded()).toBe(false);
    });

    it('MODEL_WATCH=true reloads by itself once MODEL_DIR has changed', async () => {
      writeModel(LR);
      const models = registry({ MODEL_DIR: dir, MODEL_WATCH: 'true' });
      await models.onModuleInit();
      models.onApplicationBootstrap();
      expect(logs.lines).toContain(`log: Watching ${dir} for new or changed models (MODEL_WATCH)`);
      writeModel(LR, { from: RF });
      await waitFor('the watcher to load the new version', () => models.get(LR).id === idOf(LR, RF));
      expect(models.defaultModel().id).toBe(idOf(LR, RF));
    });

    it('without MODEL_WATCH, waits for POST /models/reload', async () => {
      writeModel(LR);
      const models = registry({ MODEL_DIR: dir });
      await models.onModuleInit();
      models.onApplicationBootstrap();
      writeModel(LR, { from: RF });
      await new Promise((resolve) => setTimeout(resolve, 800));
      expect(models.get(LR).id).toBe(idOf(LR));
      expect(logs.lines.filter((line) => line.includes('Watching'))).toEqual([]);
    });
  });
});
