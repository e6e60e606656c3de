import { ApiProperty } from '@nestjs/swagger';
import type { ModelSummary } from './model-registry';
import type { PoolStats } from './model-session-pool';

export class ModelSummaryDto implements ModelSummary {
  @ApiProperty({ example: 'logistic_regression' })
  name!: string;

  @ApiProperty({ example: '20594a68a1e3', description: 'First 12 hex digits of the ONNX file SHA-256' })
  version!: string;

  @ApiProperty({ example: 'logistic_regression@20594a68a1e3' })
  model!: string;

  @ApiProperty({ enum: ['logistic_regression', 'random_forest', 'gradient_boosting'] })
  family!: ModelSummary['family'];

  @ApiProperty({ example: true })
  default!: boolean;

  @ApiProperty({ example: 0.502073, description: 'Decision threshold on the positive-class probability' })
  threshold!: number;

  @ApiProperty({ enum: ['f2', 'f1', 'youden'] })
  threshold_rule!: ModelSummary['threshold_rule'];

  @ApiProperty({ example: '2026-11-27T01:52:28.325Z' })
  created_at!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'number' },
    example: { roc_auc: 0.933, pr_auc: 0.989, brier: 0.071 },
    description: 'Cross-validated means',
  })
  cv_metrics!: ModelSummary['cv_metrics'];

  @ApiProperty({
    example: '2026-12-02T06:10:00.000Z',
    description: 'When this version was loaded: at start-up, or by a reload',
  })
  loaded_at!: string;

  @ApiProperty({ example: true, description: 'Whether `?explain=` works with this model' })
  explainable!: boolean;
}

export class ModelsResponseDto {
  @ApiProperty({ type: [ModelSummaryDto] })
  models!: ModelSummaryDto[];

  @ApiProperty({ example: 'logistic_regression', description: 'Model used when no ?model_type= is given' })
  default!: string;

  @ApiProperty({
    example: ['logistic_regression', 'random_forest'],
    description: 'Names accepted by ?model_type= (the reference field name)',
  })
  available_types!: string[];

  @ApiProperty({ example: 'logistic_regression', description: 'Same as default (the reference field name)' })
  default_type!: string;
}

export class PoolStatsDto implements PoolStats {
  @ApiProperty({ example: 4 })
  pool_size!: number;

  @ApiProperty({ example: 4 })
  available!: number;

  @ApiProperty({ example: 0 })
  in_use!: number;

  @ApiProperty({ example: 0, description: 'Predictions waiting for a free session' })
  pending!: number;

  @ApiProperty({ example: 120, description: 'One per row predicted' })
  total_predictions!: number;

  @ApiProperty({ example: 30 })
  avg_usage_per_instance!: number;

  @ApiProperty({ example: '/app/model/logistic_regression.onnx' })
  model_path!: string;
}
