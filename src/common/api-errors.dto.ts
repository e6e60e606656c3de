import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ValidationDetail } from './api-errors';

export class ErrorResponseDto {
  @ApiProperty({
    example: 'Type de modèle invalide: xgboost. Modèles disponibles : logistic_regression, random_forest',
  })
  detail!: string;

  @ApiProperty({ format: 'uuid' })
  transaction_id!: string;
}

export class ValidationDetailDto implements ValidationDetail {
  @ApiProperty({
    type: 'array',
    items: { oneOf: [{ type: 'string' }, { type: 'integer' }] },
    example: ['body', 'AGE'],
  })
  loc!: (string | number)[];

  @ApiProperty({ example: 'Input should be less than or equal to 120' })
  msg!: string;

  @ApiProperty({
    example: 'less_than_equal',
    description:
      'missing, int_type, int_parsing, int_from_float, finite_number, greater_than_equal, less_than_equal, ' +
      'model_attributes_type, json_invalid',
  })
  type!: string;

  @ApiPropertyOptional({ example: 150, description: 'The offending value' })
  input?: unknown;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { le: 120 } })
  ctx?: Record<string, unknown>;
}

export class ValidationErrorResponseDto {
  @ApiProperty({ type: [ValidationDetailDto], description: 'Every problem of the request at once' })
  detail!: ValidationDetailDto[];

  @ApiProperty({ format: 'uuid' })
  transaction_id!: string;
}
