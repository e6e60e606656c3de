import {
  BadRequestException,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
  OnModuleInit,
} from '@nestjs/common';
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { Tensor, type InferenceSession } from 'onnxruntime-node';
import { AppConfig } from '../config/app-config';
import { EXAMPLE_ANSWERS, engineerFeatures, FEATURE_COUNT } from '../features/features';
import { Explainer, explainerFor } from '../explanation/explanation.model';
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
  /** ISO-8601 UTC: when this version was loaded (start-up, or a reload). */
  loadedAt: string;
  /** SHA-256 of the ONNX file and of the card's text: a reload replaces the model when it changes. */
  fingerprint: string;
  /** Explains one row's answers; undefined when the card has no `explanation` section (see `explainUnavailable`). */
  explain?: Explainer;
  explainUnavailable?: string;
  /** Requests using this model now (see ModelRegistry.use); a replaced model is released when it falls to 0. */
  inFlight: number;
  /** Set when the model has been replaced: called when its last request finishes. */
  onIdle?: () => void;
}

/** What POST /models/reload did, model by model. */
export interface ReloadReport {
  /** Models swapped in (new ones have no `from`). */
  loaded: { name: string; from?: string; to: string }[];
  unchanged: string[];
  /** Files that were not loaded, with why; the model already serving under that name (if any) still is. */
  refused: { name: string; file: string; reason: string }[];
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
  /** When this version was loaded (ISO-8601 UTC). */
  loaded_at: string;
  /** Whether `?explain=` works with this model (its card carries the explanation background). */
  explainable: boolean;
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
export class ModelRegistry implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ModelRegistry.name);
  private readonly models = new Map<string, LoadedModel>();
  private defaultName?: string;
  /** Reloads run one after another. */
  private reloading: Promise<unknown> = Promise.resolve();
  private watcher?: FSWatcher;
  private watchTimer?: NodeJS.Timeout;
  /** Replaced models still finishing their requests; released at shutdown if they have not by then. */
  private readonly retiring = new Set<Promise<void>>();

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

  /** MODEL_WATCH: reload when a file of MODEL_DIR changes (debounced: training writes a pair of files). */
  onApplicationBootstrap(): void {
    if (!this.config.model.watch) {
      return;
    }
    const dir = resolve(this.config.model.dir);
    this.watcher = watch(dir, () => {
      clearTimeout(this.watchTimer);
      this.watchTimer = setTimeout(() => void this.reload(), WATCH_DEBOUNCE_MS);
    });
    this.watcher.on('error', (error) => this.logger.error(`Stopped watching ${dir}: ${String(error)}`));
    this.logger.log(`Watching ${dir} for new or changed models (MODEL_WATCH)`);
  }

  async onModuleDestroy(): Promise<void> {
    this.watcher?.close();
    clearTimeout(this.watchTimer);
    await this.reloading.catch(() => undefined);
    const models = [...this.models.values()];
    this.models.clear();
    await Promise.all([...models.map((m) => m.pool.close()), ...this.retiring]);
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
      loaded_at: m.loadedAt,
      explainable: m.explain !== undefined,
    }));
  }

  /**
   * Runs `work` with the named model (as `get` finds it), counted as in flight: a reload that replaces the model
   * meanwhile releases its sessions only when the last such call has finished, so no request fails on a swap.
   */
  async use<T>(name: string | undefined, work: (model: LoadedModel) => Promise<T>): Promise<T> {
    const model = this.get(name);
    model.inFlight++;
    try {
      return await work(model);
    } finally {
      model.inFlight--;
      if (model.inFlight === 0) {
        model.onIdle?.();
      }
    }
  }

  /**
   * Loads every new or changed `<name>.onnx` + card of MODEL_DIR (and MODEL_PATH): each is validated, its pool built
   * and warmed, and only then swapped in; the model it replaces finishes its requests and is then released. A file
   * that fails is refused with the reason, and the model serving under its name (if any) goes on serving. Models
   * whose files have gone keep serving until the next restart.
   */
  reload(): Promise<ReloadReport> {
    const run = this.reloading.then(() => this.reloadNow());
    this.reloading = run.catch(() => undefined);
    return run;
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

  private async reloadNow(): Promise<ReloadReport> {
    const report: ReloadReport = { loaded: [], unchanged: [], refused: [] };
    let found: ModelFiles[];
    try {
      found = discoverModels(this.config.model.dir, this.config.model.path);
    } catch (error) {
      report.refused.push({ name: '*', file: this.config.model.dir, reason: (error as Error).message });
      found = [];
    }
    for (const files of found) {
      const current = this.models.get(files.name);
      try {
        const [onnx, card] = await Promise.all([readFile(files.onnxPath), readFile(files.cardPath)]);
        const fingerprint = fingerprintOf(onnx, card);
        if (current?.fingerprint === fingerprint) {
          report.unchanged.push(files.name);
          continue;
        }
        const next = await this.load(files);
        next.isDefault = current ? current.isDefault : false;
        this.models.set(next.name, next);
        if (current) {
          this.retire(current);
        }
        report.loaded.push({ name: next.name, from: current?.id, to: next.id });
        this.logger.log(
          `Reloaded ${next.name}: now serving ${next.id}${current ? ` (was ${current.id})` : ' (new model)'}`,
        );
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        report.refused.push({ name: files.name, file: files.onnxPath, reason });
        this.logger.error(
          `Refused ${files.onnxPath}: ${reason}${current ? `; ${current.id} goes on serving` : ''}`,
        );
      }
    }
    return report;
  }

  /** Releases a replaced model's sessions once its last request has finished. */
  private retire(model: LoadedModel): void {
    const idle = new Promise<void>((done) => {
      model.onIdle = done;
      if (model.inFlight === 0) {
        done();
      }
    });
    const released = idle
      .then(() => model.pool.close())
      .then(() => this.logger.log(`Released the sessions of ${model.id}`))
      .catch((error: unknown) => this.logger.error(`Releasing ${model.id}: ${String(error)}`))
      .finally(() => this.retiring.delete(released));
    this.retiring.add(released);
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
    let explain: Explainer | undefined;
    try {
      explain = card.explanation ? explainerFor(card.family, card.explanation, bytes) : undefined;
    } catch (error) {
      await first.release();
      throw new ModelLoadError(`Invalid model card ${files.cardPath}: ${(error as Error).message}`);
    }
    try {
      await checkInterface(first, card, explain);
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
      loadedAt: new Date().toISOString(),
      fingerprint: fingerprintOf(bytes, await readFile(files.cardPath)),
      explain,
      explainUnavailable: explain
        ? undefined
        : `the card of ${files.name}@${card.version} has no "explanation" section (retrain it with npm run train)`,
      inFlight: 0,
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

/** How long MODEL_WATCH waits after the last change in MODEL_DIR before it reloads. */
const WATCH_DEBOUNCE_MS = 500;

/** SHA-256 of the ONNX bytes and of the card's bytes. */
function fingerprintOf(onnx: Uint8Array, card: Uint8Array): string {
  return createHash('sha256').update(onnx).update('\0').update(card).digest('hex');
}

/**
 * Before a model serves: the card's input and output names exist; one all-zero row and the reference's example
 * each give two finite probabilities adding up to 1; and the explanation of the example (when the card has one)
 * ends at the probability the model gave.
 */
async function checkInterface(
  session: InferenceSession,
  card: ModelCard,
  explain?: Explainer,
): Promise<void> {
  const { input, probabilities_output: output } = card.onnx;
  if (!session.inputNames.includes(input)) {
    throw new Error(`no input "${input}" (it has ${session.inputNames.join(', ')})`);
  }
  if (!session.outputNames.includes(output)) {
    throw new Error(`no output "${output}" (it has ${session.outputNames.join(', ')})`);
  }
  const rows = new Float32Array(2 * FEATURE_COUNT);
  rows.set(engineerFeatures(EXAMPLE_ANSWERS), FEATURE_COUNT);
  const result = await session.run({ [input]: new Tensor('float32', rows, [2, FEATURE_COUNT]) }, [output]);
  const values = Array.from(result[output].data as Float32Array);
  if (
    values.length !== 4 ||
    !values.every((p) => Number.isFinite(p) && p >= 0 && p <= 1) ||
    Math.abs(values[0] + values[1] - 1) > 1e-4 ||
    Math.abs(values[2] + values[3] - 1) > 1e-4
  ) {
    throw new Error(
      `"${output}" must be 2 probabilities adding up to 1 per row, got [${values.join(', ')}] for 2 rows`,
    );
  }
  if (explain) {
    const explanation = explain(EXAMPLE_ANSWERS);
    const p1 =
      explanation.output_scale === 'log_odds' ? 1 / (1 + Math.exp(-explanation.output)) : explanation.output;
    if (!(Math.abs(p1 - values[3]) <= 1e-4)) {
      throw new Error(
        `the explanation of the example ends at ${p1}, the model answers ${values[3]}: ` +
          "its card's explanation does not describe this file",
      );
    }
  }
}
