import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { FEATURE_ORDER } from '../features/features';
import type { ModelCard } from './model-card';
import { isPlainObject } from '../common/is-plain-object';

/** Start-up stops with this; its message names the file (or directory) at fault and what is wrong with it. */
export class ModelLoadError extends Error {
  override name = 'ModelLoadError';
}

/** A model to load: its ONNX file and its card. */
export interface ModelFiles {
  name: string;
  onnxPath: string;
  cardPath: string;
  /** Given by MODEL_PATH: served as the default whatever the cards say. */
  explicit: boolean;
}

const ONNX = '.onnx';
const CARD = '.card.json';

const cardPathOf = (onnxPath: string): string =>
  join(dirname(onnxPath), `${basename(onnxPath, ONNX)}${CARD}`);

/**
 * The models to serve: every `<name>.onnx` / `<name>.card.json` pair of MODEL_DIR, plus the MODEL_PATH model (which
 * replaces a directory model of the same name). A card without its ONNX file, an ONNX file without its card, a
 * missing MODEL_PATH or an empty directory are errors naming the path.
 */
export function discoverModels(modelDir: string, modelPath?: string): ModelFiles[] {
  const dir = resolve(modelDir);
  const found = new Map<string, ModelFiles>();
  if (existsSync(dir) && statSync(dir).isDirectory()) {
    const entries = readdirSync(dir);
    const names = new Set(
      entries
        .filter((f) => f.endsWith(ONNX) || f.endsWith(CARD))
        .map((f) => (f.endsWith(ONNX) ? basename(f, ONNX) : basename(f, CARD))),
    );
    for (const name of [...names].sort()) {
      found.set(name, {
        name,
        onnxPath: join(dir, `${name}${ONNX}`),
        cardPath: join(dir, `${name}${CARD}`),
        explicit: false,
      });
    }
  } else if (!modelPath) {
    throw new ModelLoadError(`Model directory not found: ${dir} (MODEL_DIR)`);
  }
  if (modelPath) {
    const onnxPath = resolve(modelPath);
    if (!existsSync(onnxPath)) {
      throw new ModelLoadError(`Model file not found: ${onnxPath} (MODEL_PATH)`);
    }
    const name = basename(onnxPath, ONNX);
    found.set(name, { name, onnxPath, cardPath: cardPathOf(onnxPath), explicit: true });
  }
  if (found.size === 0) {
    throw new ModelLoadError(
      `No model in ${dir} (MODEL_DIR): expected <name>.onnx files with their <name>.card.json`,
    );
  }
  for (const files of found.values()) {
    if (!existsSync(files.onnxPath)) {
      throw new ModelLoadError(`Model file not found: ${files.onnxPath} (its card ${files.cardPath} exists)`);
    }
    if (!existsSync(files.cardPath)) {
      throw new ModelLoadError(`Model card not found: ${files.cardPath} (needed by ${files.onnxPath})`);
    }
  }
  return [...found.values()];
}

/** First 12 hex digits of the file's SHA-256: what training records as the model version. */
export function modelVersionOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 12);
}

/**
 * The default model among those found: MODEL_PATH's, else the one whose card says `"default": true` (the first by
 * name when several or none do; `flagged` says how many did, so that the caller can warn).
 */
export function chooseDefaultModel(
  models: readonly { name: string; explicit: boolean; card: Pick<ModelCard, 'default'> }[],
): { name: string | undefined; flagged: number } {
  const explicit = models.find((m) => m.explicit);
  const flagged = models
    .filter((m) => m.card.default)
    .map((m) => m.name)
    .sort();
  if (explicit) {
    return { name: explicit.name, flagged: flagged.length };
  }
  return { name: flagged[0] ?? models.map((m) => m.name).sort()[0], flagged: flagged.length };
}

/**
 * Reads and checks a card against its ONNX bytes: the fields serving relies on, the feature order serving computes,
 * and the version (hash) of the file, so a card never describes another model than the one served.
 */
export function readModelCard(files: ModelFiles, onnxBytes: Uint8Array): ModelCard {
  const fail = (why: string): never => {
    throw new ModelLoadError(`Invalid model card ${files.cardPath}: ${why}`);
  };
  let card: unknown;
  try {
    card = JSON.parse(readFileSync(files.cardPath, 'utf8'));
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
  if (!isPlainObject(card)) {
    return fail('not a JSON object');
  }
  for (const key of ['name', 'version'] as const) {
    if (typeof card[key] !== 'string' || card[key] === '') {
      fail(`"${key}" must be a non-empty string`);
    }
  }
  const threshold = isPlainObject(card.threshold) ? card.threshold.value : undefined;
  if (typeof threshold !== 'number' || !(threshold > 0 && threshold < 1)) {
    fail('"threshold.value" must be a number between 0 and 1');
  }
  const onnx = isPlainObject(card.onnx) ? card.onnx : {};
  for (const key of ['input', 'probabilities_output'] as const) {
    if (typeof onnx[key] !== 'string') {
      fail(`"onnx.${key}" must be a string`);
    }
  }
  if (JSON.stringify(card.feature_order) !== JSON.stringify(FEATURE_ORDER)) {
    fail('"feature_order" differs from the feature order this service computes (src/features/features.ts)');
  }
  const actual = modelVersionOf(onnxBytes);
  if (card.version !== actual) {
    fail(
      `it describes version ${String(card.version)} but ${files.onnxPath} is version ${actual} (retrain, or restore the matching pair)`,
    );
  }
  return card as unknown as ModelCard;
}
