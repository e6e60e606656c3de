import { Controller, Get, Req } from '@nestjs/common';
import type { Request } from 'express';
import { requestContextOf } from '../common/request-context';
import { SkipThrottle } from '@nestjs/throttler';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { KeyScope } from '../common/api-key.guard';
import { HealthReportDto } from './health.dto';
import { HealthReport, HealthService } from './health.service';

/**
 * `/health`, the reference's report (always 200: monitors read `status`), and the probes of an orchestrator:
 * `/health/live` (the process answers) and `/health/ready` (models loaded and not shutting down; 503 otherwise).
 * Never behind the API key or the rate limit.
 */
@ApiTags('service')
@KeyScope('open')
@SkipThrottle()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthService,
    private readonly checks: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Service status: model, Redis, request-log buffer and shipping (always 200)' })
  @ApiOkResponse({ type: HealthReportDto })
  check(@Req() req: Request): Promise<HealthReport> {
    return this.health.check(requestContextOf(req)?.startNs);
  }

  @Get('live')
  @ApiExcludeEndpoint()
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.checks.check([() => this.indicator.check('process').up()]);
  }

  @Get('ready')
  @ApiExcludeEndpoint()
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.checks.check([
      () => {
        const { ready, models_loaded, shutting_down } = this.health.ready();
        const details = { models_loaded, shutting_down };
        const indicator = this.indicator.check('service');
        return ready ? indicator.up(details) : indicator.down(details);
      },
    ]);
  }
}
