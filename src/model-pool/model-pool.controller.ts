import { Controller, Get } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { ModelsResponseDto, PoolStatsDto } from './model-pool.dto';
import { ModelRegistry } from './model-registry';
import type { PoolStats } from './model-session-pool';

@ApiTags('models')
@ApiExtraModels(PoolStatsDto)
@Controller()
export class ModelPoolController {
  constructor(private readonly registry: ModelRegistry) {}

  @Get(['models', 'models/types'])
  @ApiOperation({ summary: 'Loaded models, their card summaries, and the default' })
  @ApiOkResponse({ type: ModelsResponseDto })
  models(): ModelsResponseDto {
    const models = this.registry.list();
    const defaultName = this.registry.defaultModel().name;
    return {
      models,
      default: defaultName,
      available_types: models.map((m) => m.name),
      default_type: defaultName,
    };
  }

  @Get('pool/stats')
  @ApiOperation({ summary: 'Session pool usage per model' })
  @ApiOkResponse({
    description: 'Model name → its pool',
    schema: { type: 'object', additionalProperties: { $ref: getSchemaPath(PoolStatsDto) } },
  })
  poolStats(): Record<string, PoolStats> {
    return this.registry.poolStats();
  }
}
