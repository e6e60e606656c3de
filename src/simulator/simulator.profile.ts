import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { INPUT_FIELDS, type InputField } from '../features/features';
import { isPlainObject } from '../common/is-plain-object';

/**
 * What `--profile training` draws patients from: the reference distribution of a model card (the de-duplicated
 * training inputs, `ReferenceDistribution` in src/model-pool/model-card.ts), reduced to what drawing needs and checked,
 * so that a bad card stops the run before it starts.
 */

/** The training patients: AGE by its 101 percentiles, every other answer by its share of 1. */
export interface TrainingProfile {
  /** The card it was read from. */
  cardPath: string;
  /** Percentiles 0, 1, …, 100 of the training ages, non-decreasing. */
  ageQuantiles: number[];
  /** Share of 1 of GENDER and of each yes/no answer. */
  shareOfOne: Record<ProfileField, number>;
}

/** GENDER and the 13 yes/no answers: the inputs drawn as 0 or 1. */
export type ProfileField = Exclude<InputField, 'AGE'>;
export const PROFILE_FIELDS = INPUT_FIELDS.filter((f): f is ProfileField => f !== 'AGE');

/** A card that cannot be drawn from; the message names the file and what is wrong. */
export class ProfileError extends Error {
  override name = 'ProfileError';
}

const CARD = '.card.json';

/**
 * Reads `<modelDir>/<model>.card.json`, or without a model name the card marked `"default": true` (exactly one card
 * of a model directory has it, as training writes them).
 */
export function loadTrainingProfile(modelDir: string, model?: string): TrainingProfile {
  const dir = resolve(modelDir);
  const cards = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(CARD)) : [];
  if (cards.length === 0) {
    throw new ProfileError(`no model card (*${CARD}) in ${dir} (--model-dir)`);
  }
  if (model !== undefined) {
    if (!cards.includes(`${model}${CARD}`)) {
      throw new ProfileError(
        `no card ${join(dir, `${model}${CARD}`)} for --model ${model}; cards there: ${cards.join(', ')}`,
      );
    }
    const path = join(dir, `${model}${CARD}`);
    return profileOf(path, readCard(path));
  }
  const defaults = cards
    .map((file) => ({ path: join(dir, file), card: readCard(join(dir, file)) }))
    .filter(({ card }) => card.default === true);
  if (defaults.length !== 1) {
    throw new ProfileError(
      `${defaults.length} cards in ${dir} have "default": true, expected one; name the model with --model`,
    );
  }
  return profileOf(defaults[0].path, defaults[0].card);
}

function readCard(path: string): Record<string, unknown> {
  let card: unknown;
  try {
    card = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ProfileError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isPlainObject(card)) {
    throw new ProfileError(`${path} is not a JSON object`);
  }
  return card;
}

const isNumberArray = (value: unknown): value is number[] =>
  Array.isArray(value) && value.every((v) => typeof v === 'number' && Number.isFinite(v));

function profileOf(path: string, card: Record<string, unknown>): TrainingProfile {
  const reference = card.reference_distribution;
  const inputs = isPlainObject(reference) && isPlainObject(reference.inputs) ? reference.inputs : undefined;
  if (!inputs) {
    throw new ProfileError(
      `${path}: no "reference_distribution.inputs" (a card older than drift monitoring: retrain)`,
    );
  }
  const quantiles = isPlainObject(inputs.AGE) ? inputs.AGE.quantiles : undefined;
  if (
    !isNumberArray(quantiles) ||
    quantiles.length !== 101 ||
    quantiles.some((q, i) => i > 0 && q < quantiles[i - 1])
  ) {
    throw new ProfileError(
      `${path}: "reference_distribution.inputs.AGE.quantiles" must be 101 non-decreasing numbers`,
    );
  }
  const shareOfOne = {} as Record<ProfileField, number>;
  for (const field of PROFILE_FIELDS) {
    const proportions = isPlainObject(inputs[field]) ? inputs[field].proportions : undefined;
    if (
      !isNumberArray(proportions) ||
      proportions.length !== 2 ||
      !(proportions[1] >= 0 && proportions[1] <= 1)
    ) {
      throw new ProfileError(
        `${path}: "reference_distribution.inputs.${field}.proportions" must be [share of 0, share of 1]`,
      );
    }
    shareOfOne[field] = proportions[1];
  }
  return { cardPath: path, ageQuantiles: quantiles, shareOfOne };
}
