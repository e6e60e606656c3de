import { ApiProperty } from '@nestjs/swagger';
import { FEATURE_ORDER, INPUT_FIELDS } from '../features/features';
import type { RiskLevel } from './risk-level';

const MESSAGE = { positive: 'Prédiction positive', negative: 'Prédiction négative' } as const;

/** The reference's message for a decision. */
export const predictionMessage = (prediction: 0 | 1): string =>
  prediction === 1 ? MESSAGE.positive : MESSAGE.negative;

export class AnswerContributionDto {
  @ApiProperty({ enum: INPUT_FIELDS, example: 'COUGHING' })
  answer!: string;

  @ApiProperty({ example: 1, description: 'The answer given' })
  value!: number;

  @ApiProperty({ example: 0.41, description: 'Its share of output − base_value, on the output scale' })
  contribution!: number;
}

export class FeatureContributionDto {
  @ApiProperty({ enum: FEATURE_ORDER, example: 'SMOKING_x_AGE' })
  feature!: string;

  @ApiProperty({ example: 65, description: 'The model input computed from the answers' })
  value!: number;

  @ApiProperty({ example: 0.12 })
  contribution!: number;
}

export class ExplanationDto {
  @ApiProperty({
    enum: ['linear-exact+equal-split', 'tree-shap+equal-split'],
    description:
      'How the 29 inputs were credited (exact linear terms, or TreeSHAP), then how a derived input is shared ' +
      'among its answers (equally)',
  })
  method!: string;

  @ApiProperty({ enum: ['log_odds', 'probability'], description: 'The scale of every figure below' })
  output_scale!: string;

  @ApiProperty({ example: 1.52, description: 'The output for the training data (the mean patient)' })
  base_value!: number;

  @ApiProperty({ example: 2.98, description: 'The output for these answers: base_value + Σ contributions' })
  output!: number;

  @ApiProperty({ type: [AnswerContributionDto], description: 'The 15 answers, largest |contribution| first' })
  contributions!: AnswerContributionDto[];

  @ApiProperty({
    type: [FeatureContributionDto],
    required: false,
    description: 'With `?explain=features`: the 29 model inputs, in model order',
  })
  features?: FeatureContributionDto[];
}

class PredictionBaseDto {
  @ApiProperty({ enum: [0, 1], example: 1, description: '1 when the positive-class probability ≥ threshold' })
  prediction!: 0 | 1;

  @ApiProperty({ enum: Object.values(MESSAGE), example: MESSAGE.positive })
  message!: string;

  @ApiProperty({ enum: ['low', 'moderate', 'high'], description: 'low < 0.33 ≤ moderate < 0.66 ≤ high' })
  risk_level!: RiskLevel;

  @ApiProperty({ example: 0.502073, description: "The model card's decision threshold" })
  threshold!: number;

  @ApiProperty({
    example: 'logistic_regression@20594a68a1e3',
    description: '<name>@<version> of the model used',
  })
  model!: string;

  @ApiProperty({ format: 'uuid', description: 'Also in the X-Transaction-Id header and the request log' })
  transaction_id!: string;

  @ApiProperty({ type: ExplanationDto, required: false, description: 'With `?explain=true` or `features`' })
  explanation?: ExplanationDto;
}

export class PredictResponseDto extends PredictionBaseDto {
  @ApiProperty({
    example: 0.965912,
    minimum: 0,
    maximum: 1,
    description: 'Probability of the positive class',
  })
  probability!: number;
}

export class PredictProbaResponseDto extends PredictionBaseDto {
  @ApiProperty({
    type: [Number],
    minItems: 2,
    maxItems: 2,
    example: [0.034088, 0.965912],
    description: '[p(negative), p(positive)]',
  })
  probabilities!: [number, number];
}

export class FeaturesResponseDto {
  @ApiProperty({
    type: 'object',
    properties: Object.fromEntries(FEATURE_ORDER.map((name) => [name, { type: 'number' }])),
    description: 'The 29 model inputs by name, in model order',
    example: { GENDER: 1, AGE: 65, SMOKING: 1, SMOKING_x_AGE: 65, AGE_SQUARED: 4225 },
  })
  features!: Record<string, number>;
}

export class BatchRowResultDto {
  @ApiProperty({ enum: [0, 1], example: 1 })
  prediction!: 0 | 1;

  @ApiProperty({
    example: 0.965912,
    minimum: 0,
    maximum: 1,
    description: 'Probability of the positive class',
  })
  probability!: number;

  @ApiProperty({ enum: ['low', 'moderate', 'high'] })
  risk_level!: RiskLevel;

  @ApiProperty({ type: ExplanationDto, required: false, description: 'With `?explain=true` or `features`' })
  explanation?: ExplanationDto;
}

export class BatchResponseDto {
  @ApiProperty({ type: [BatchRowResultDto], description: 'One per instance, in order' })
  predictions!: BatchRowResultDto[];

  @ApiProperty({ example: 'logistic_regression@20594a68a1e3' })
  model!: string;

  @ApiProperty({ example: 0.502073 })
  threshold!: number;

  @ApiProperty({ format: 'uuid', description: 'Also in X-Transaction-Id; every row is logged under it' })
  transaction_id!: string;
}
