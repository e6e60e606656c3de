import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { KeyScope } from '../common/api-key.guard';
import { MetricsService } from './metrics.service';

/** GET /metrics for Prometheus: never behind the API key or the rate limit, and not an API call to log. */
@ApiExcludeController()
@KeyScope('open')
@SkipThrottle()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
