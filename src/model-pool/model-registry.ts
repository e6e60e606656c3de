import { BadRequestException, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { Tensor, type InferenceSession } from 'onnxruntime-node';
import { AppConfig } from '../config/app-config';
import { FEATURE_COUNT } from '../features/features';
import type { MetricName, ModelCard, ThresholdRule } from './model-card';
import { chooseDefaultModel, discoverModels, ModelFiles, ModelLoadError, readModelCard } from './model-files';
import { MicroBatcher } from './micro-batcher';
import { ModelSessionPool, PoolStats } from './model-session-pool';
import { OnnxSessionFactory } from './onnx-session.factory';

/** A model ready to serve. */
export interface LoadedModel {
  name: string;
  version: string;
  /** `<name>@<version>`, what responses and logs call it. */
  id: string;
  card: ModelCard;
  modelPath: string;
  isDefault: boolean;
  pool: ModelSessionPool;
  /** Single predictions go through it (micro-batching); batches call the pool directly. */
  batcher: MicroBatcher;
}

/** What GET /models shows of a model (snake_case like the card it summarises). */
export interface ModelSummary {
  name: string;
  version: string;
  model: string;
  family: ModelCard['family'];
  default: boolean;
  threshold: number;
  threshold_rule: ThresholdRule;
  created_at: string;
  /** Cross-validated means. */
  cv_metrics: Partial<Record<MetricName, number>>;
}

/**
 * 400 for `?model_type=` naming no loaded model; the message lists the loaded ones. It starts as the reference's
 * did (`Type de modèle invalide:`), which its clients match on.
 */
export class UnknownModelException extends BadRequestException {
  constructor(name: string, available: string[]) {
    super(`Type de modèle invalide: ${name}. Modèles disponibles : ${available.join(', ')}`);
  }
}

/**
 * The reference's `?model_type=` values. Both served its one model, so its clients (scripts, the JMeter plan) that
 * still send them get the default model rather than a 400; a loaded model of that name takes precedence.
 */
const REFERENCE_MODEL_TYPES: ReadonlySet<string> = new Set(['sklearn', 'onnx']);

/**
 * Owner of every loaded model and its session pool: loads MODEL_DIR (and MODEL_PATH) at start-up, failing start-up
 * with the faulty file's name, and releases every session at shutdown.
 */
@Injectable()
export class ModelRegistry implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ModelRegistry.name);
  private readonly models = new Map<string, LoadedModel>();
  private defaultName?: string;

  constructor(
    private readonly config: AppConfig,
    private readonly sessions: OnnxSessionFactory,
  ) {}

  async onModuleInit(): Promise<void> {
    const { dir, path } = this.config.model;
    try {
      for (const files of discoverModels(dir, path)) {
        const model = await this.load(files);
        this.models.set(model.name, model);
      }
    } catch (error) {
      await this.onModuleDestroy();
      throw error;
    }
    this.defaultName = this.chooseDefault();
    for (const model of this.models.values()) {
      model.isDefault = model.name === this.defaultName;
      const { size } = model.pool;
      this.logger.log(
        `Serving ${model.id}${model.isDefault ? ' (default)' : ''} from ${relative(process.cwd(), model.modelPath)}: ` +
          `threshold ${model.card.threshold.value}, pool of ${size} session${size === 1 ? '' : 's'}`,
      );
    }
  }

  async onModuleDestroy(): Promise<void> {
    const models = [...this.models.values()];
    this.models.clear();
    await Promise.all(models.map((m) => m.pool.close()));
    if (models.length > 0) {
      this.logger.log(`Released the sessions of ${models.map((m) => m.id).join(', ')}`);
    }
  }

  /** Loaded models, default first. */
  list(): ModelSummary[] {
    return this.all().map((m) => ({
      name: m.name,
      version: m.version,
      model: m.id,
      family: m.card.family,
      default: m.isDefault,
      threshold: m.card.threshold.value,
      threshold_rule: m.card.threshold.rule,
      created_at: m.card.created_at,
      cv_metrics: Object.fromEntries(
        Object.entries(m.card.cv?.metrics ?? {}).map(([metric, { mean }]) => [metric, mean]),
      ),
    }));
  }

  names(): string[] {
    return this.all().map((m) => m.name);
  }

  defaultModel(): LoadedModel {
    const model = this.defaultName === undefined ? undefined : this.models.get(this.defaultName);
    if (!model) {
      throw new Error('No model is loaded');
    }
    return model;
  }

  /**
   * The named model, or the default for no name or one of the reference's model types; UnknownModelException (400)
   * for any other name not loaded.
   */
  get(name?: string): LoadedModel {
    const wanted = name?.trim();
    if (!wanted) {
      return this.defaultModel();
    }
    const model =
      this.models.get(wanted) ?? (REFERENCE_MODEL_TYPES.has(wanted) ? this.defaultModel() : undefined);
    if (!model) {
      throw new UnknownModelException(wanted, this.names());
    }
    return model;
  }

  /** Whether a model is loaded and ready (for /health). */
  isLoaded(): boolean {
    return this.models.size > 0;
  }

  poolStats(): Record<string, PoolStats> {
    return Object.fromEntries(this.all().map((m) => [m.name, m.pool.stats()]));
  }

  private all(): LoadedModel[] {
    return [...this.models.values()].sort(
      (a, b) => Number(b.isDefault) - Number(a.isDefault) || a.name.localeCompare(b.name),
    );
  }

  private async load(files: ModelFiles): Promise<LoadedModel> {
    const bytes = await readFile(files.onnxPath).catch((error: unknown) => {
      throw new ModelLoadError(`Cannot read model file ${files.onnxPath}: ${String(error)}`);
    });
    const card = readModelCard(files, bytes);
    const first = await this.sessions.create(bytes).catch((error: unknown) => {
      throw new ModelLoadError(
        `Invalid model file ${files.onnxPath}: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
    try {
      await checkInterface(first, card);
    } catch (error) {
      await first.release();
      throw new ModelLoadError(`Invalid model file ${files.onnxPath}: ${(error as Error).message}`);
    }
    const pool = await ModelSessionPool.open({
      name: card.name,
      modelPath: files.onnxPath,
      size: this.config.model.poolSize,
      acquireTimeoutMs: this.config.model.acquireTimeoutMs,
      input: card.onnx.input,
      output: card.onnx.probabilities_output,
      firstSession: first,
      createSession: () => this.sessions.create(bytes),
    }).catch((error: unknown) => {
      throw new ModelLoadError(
        `Cannot open ${this.config.model.poolSize} onnxruntime sessions for ${files.onnxPath} (MODEL_POOL_SIZE): ` +
          `${error instanceof Error ? error.message : String(error)}`,
      );
    });
    return {
      name: files.name,
      version: card.version,
      id: `${files.name}@${card.version}`,
      card,
      modelPath: files.onnxPath,
      isDefault: files.explicit,
      pool,
      batcher: new MicroBatcher(
        pool,
        this.config.model.microBatchMaxRows,
        this.config.model.microBatchMaxWaitUs,
      ),
    };
  }

  private chooseDefault(): string {
    const models = [...this.models.values()].map((m) => ({
      name: m.name,
      explicit: m.isDefault,
      card: m.card,
    }));
    const { name, flagged } = chooseDefaultModel(models);
    if (!models.some((m) => m.explicit) && flagged !== 1) {
      this.logger.warn(
        `${flagged} model cards say "default": true (expected exactly one); using ${name} as the default`,
      );
    }
    return name as string;
  }
}

/** The card's input and output names exist, and one all-zero row gives two finite probabilities. */
async function checkInterface(session: InferenceSession, card: ModelCard): Promise<void> {
  const { input, probabilities_output: output } = card.onnx;
  if (!session.inputNames.includes(input)) {
    throw new Error(`no input "${input}" (it has ${session.inputNames.join(', ')})`);
  }
  if (!session.outputNames.includes(output)) {
    throw new Error(`no output "${output}" (it has ${session.outputNames.join(', ')})`);
  }
  const result = await session.run(
    { [input]: new Tensor('float32', new Float32Array(FEATURE_COUNT), [1, FEATURE_COUNT]) },
    [output],
  );
  const probabilities = result[output];
  const values = Array.from(probabilities.data as Float32Array);
  if (values.length !== 2 || !values.every(Number.isFinite)) {
    throw new Error(`"${output}" must be 2 finite probabilities per row, got [${values.join(', ')}]`);
  }
}
