import { Controller, Get, HttpCode, HttpStatus, Post, Res } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { KeyScope } from '../common/api-key.guard';
import { ModelsResponseDto, PoolStatsDto } from './model-pool.dto';
import { ModelRegistry, ReloadReport } from './model-registry';
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

  @Post('models/reload')
  @KeyScope('admin')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Load new or changed models of MODEL_DIR without a restart',
    description:
      'Each new or changed `<name>.onnx` + card is validated (card version = file hash, inputs and outputs, a ' +
      'test prediction and its explanation), its pool built and warmed, and only then swapped in; requests ' +
      'already running finish on the old version, whose sessions are then released. A broken file is refused ' +
      'with the reason and the model it would have replaced goes on serving.',
  })
  @ApiOkResponse({ description: 'What was loaded and what was unchanged' })
  @ApiUnprocessableEntityResponse({ description: 'The same report, when at least one file was refused' })
  async reload(@Res({ passthrough: true }) res: Response): Promise<ReloadReport> {
    const report = await this.registry.reload();
    if (report.refused.length > 0) {
      res.status(HttpStatus.UNPROCESSABLE_ENTITY);
    }
    return report;
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
