import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthReportDto } from './health.dto';
import { HealthReport, HealthService } from './health.service';

/** Always 200, like the reference: monitors read `status`. */
@ApiTags('service')
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get()
  @ApiOperation({ summary: 'Service status: model, Redis, request-log buffer and shipping (always 200)' })
  @ApiOkResponse({ type: HealthReportDto })
  check(): Promise<HealthReport> {
    return this.health.check();
  }
}
