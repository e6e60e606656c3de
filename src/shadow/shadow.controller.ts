import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { ErrorResponseDto } from '../common/api-errors.dto';
import { KeyScope } from '../common/api-key.guard';
import { AppConfig } from '../config/app-config';
import { LogStore } from '../log-store/log-store';
import { recentEntries } from '../monitoring/drift.service';
import { compareShadow, ShadowComparison } from './shadow.compare';
import { ShadowService } from './shadow.service';

/** The shadow model judged on real traffic; per-prediction figures, so behind the logs key. */
@ApiTags('models')
@KeyScope('logs')
@Controller()
export class ShadowController {
  constructor(
    private readonly shadow: ShadowService,
    private readonly store: LogStore,
    private readonly config: AppConfig,
  ) {}

  @Get('models/compare')
  @ApiOperation({
    summary: 'The shadow model (SHADOW_MODEL) against the served one over the recent window',
    description:
      'Over the newest DRIFT_WINDOW_SIZE shadowed predictions of the request log: agreement rate, mean absolute ' +
      'difference of the probabilities, and the newest cases where the decisions differ.',
  })
  @ApiOkResponse({ description: 'The comparison (figures are null when nothing was compared)' })
  @ApiServiceUnavailableResponse({ type: ErrorResponseDto, description: 'The request log cannot be read' })
  async compare(): Promise<ShadowComparison> {
    const entries = await recentEntries(this.store, this.config);
    return compareShadow(entries, this.config.drift.windowSize, this.shadow.stats());
  }
}
