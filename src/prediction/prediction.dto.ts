import { ApiProperty } from '@nestjs/swagger';
import { FEATURE_ORDER } from '../features/features';
import type { RiskLevel } from './risk-level';

const MESSAGE = { positive: 'Prédiction positive', negative: 'Prédiction négative' } as const;

/** The reference's message for a decision. */
export const predictionMessage = (prediction: 0 | 1): string =>
  prediction === 1 ? MESSAGE.positive : MESSAGE.negative;

class PredictionBaseDto {
  @ApiProperty({ enum: [0, 1], example: 1, description: '1 when the positive-class probability ≥ threshold' })
  prediction!: 0 | 1;

  @ApiProperty({ enum: Object.values(MESSAGE), example: MESSAGE.positive })
  message!: string;

  @ApiProperty({ enum: ['low', 'moderate', 'high'], description: 'low < 0.33 ≤ moderate < 0.66 ≤ high' })
  risk_level!: RiskLevel;

  @ApiProperty({ example: 0.534087, description: "The model card's decision threshold" })
  threshold!: number;

  @ApiProperty({
    example: 'logistic_regression@8fce7a50a056',
    description: '<name>@<version> of the model used',
  })
  model!: string;

  @ApiProperty({ format: 'uuid', description: 'Also in the X-Transaction-Id header and the request log' })
  transaction_id!: string;
}

export class PredictResponseDto extends PredictionBaseDto {
  @ApiProperty({
    example: 0.951429,
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
    example: [0.048571, 0.951429],
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
    example: 0.951429,
    minimum: 0,
    maximum: 1,
    description: 'Probability of the positive class',
  })
  probability!: number;

  @ApiProperty({ enum: ['low', 'moderate', 'high'] })
  risk_level!: RiskLevel;
}

export class BatchResponseDto {
  @ApiProperty({ type: [BatchRowResultDto], description: 'One per instance, in order' })
  predictions!: BatchRowResultDto[];

  @ApiProperty({ example: 'logistic_regression@8fce7a50a056' })
  model!: string;

  @ApiProperty({ example: 0.534087 })
  threshold!: number;

  @ApiProperty({ format: 'uuid', description: 'Also in X-Transaction-Id; every row is logged under it' })
  transaction_id!: string;
}
