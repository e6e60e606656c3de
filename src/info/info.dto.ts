import { ApiProperty } from '@nestjs/swagger';
import type { ServiceDescription } from './info.service';

export class ServiceDescriptionDto implements ServiceDescription {
  @ApiProperty({ example: 'API de Prédiction ML' })
  message!: string;

  @ApiProperty({ example: 'lungcheck' })
  service!: string;

  @ApiProperty({ example: '1.0.0' })
  version!: string;

  @ApiProperty({ example: 'Lung-cancer risk prediction service' })
  description!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    description:
      'Every route (`"POST /predict"` → summary), and the reference\'s keys (`predict` → `/predict`)',
    example: { predict: '/predict', 'POST /predict': 'Predict the class and the positive-class probability' },
  })
  endpoints!: Record<string, string>;

  @ApiProperty({ example: '/docs' })
  docs!: string;
}
