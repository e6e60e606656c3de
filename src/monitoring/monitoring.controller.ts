import { Controller, Get, Query, Res } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { Response } from 'express';
import { RequestValidationException } from '../common/api-errors';
import { ErrorResponseDto } from '../common/api-errors.dto';
import { KeyScope } from '../common/api-key.guard';
import { PACKAGE } from '../common/package-info';
import { parseLogQuery } from '../log-store/log-query';
import { PAGE_HEADERS } from '../web/form.controller';
import type { DriftReport } from './drift.engine';
import { dashboardPage, driftPage } from './monitoring.pages';
import type { Alert, MonitoringSummary } from './monitoring.summary';
import { MonitoringService } from './monitoring.service';

/**
 * Drift, the dashboard and the alerts. They hold aggregates only, never one person's answers, so they are open
 * (no API key) for a browser; they are not API calls to log (see request-log.service.ts), and not rate limited so
 * that a dashboard refreshing every few seconds is never refused.
 */
@ApiTags('monitoring')
@KeyScope('open')
@SkipThrottle()
@Controller()
export class MonitoringController {
  constructor(private readonly monitoring: MonitoringService) {}

  @Get('drift')
  @ApiOperation({ summary: 'Input and prediction drift of the recent window against the training data' })
  @ApiQuery({
    name: 'since',
    required: false,
    description: 'ISO-8601: judge the predictions logged since then instead of the last DRIFT_WINDOW_SIZE',
  })
  @ApiOkResponse({ description: 'Per input: test, statistic, p-value, PSI, level; the overall verdict' })
  @ApiServiceUnavailableResponse({ type: ErrorResponseDto, description: 'The request log cannot be read' })
  drift(@Query() params: Record<string, unknown>): Promise<DriftReport> {
    return this.monitoring.drift(this.since(params));
  }

  @Get('monitoring/summary')
  @ApiOperation({ summary: "The dashboard's figures as JSON (no Prometheus needed)" })
  summary(): Promise<MonitoringSummary> {
    return this.monitoring.summary();
  }

  @Get('monitoring/alerts')
  @ApiOperation({
    summary: 'Alerts: OK / WARNING / CRITICAL for latency, CPU, memory, inference, shipping, drift',
  })
  async alerts(): Promise<{ generated_at: string; alerts: Alert[] }> {
    const { generated_at, alerts } = await this.monitoring.summary();
    return { generated_at, alerts };
  }

  @Get('monitoring')
  @ApiOperation({ summary: 'The monitoring dashboard (HTML)' })
  async dashboard(@Res() res: Response): Promise<void> {
    await this.page(res, 'monitoring', dashboardPage(await this.monitoring.summary(), PACKAGE.version));
  }

  @Get('monitoring/drift')
  @ApiOperation({ summary: 'The drift report (HTML): a chart per input, reference vs current' })
  @ApiQuery({ name: 'since', required: false, description: 'As for GET /drift' })
  async driftReport(@Query() params: Record<string, unknown>, @Res() res: Response): Promise<void> {
    await this.page(
      res,
      'drift',
      driftPage(await this.monitoring.drift(this.since(params)), PACKAGE.version),
    );
  }

  private since(params: Record<string, unknown>): string | undefined {
    const parsed = parseLogQuery({ since: params.since });
    if (!parsed.ok) {
      throw new RequestValidationException(parsed.detail);
    }
    return parsed.query.since;
  }

  private async page(res: Response, view: string, model: object): Promise<void> {
    const html = await new Promise<string>((resolve, reject) =>
      res.render(view, model, (error: Error | null, rendered?: string) =>
        error ? reject(error) : resolve(rendered ?? ''),
      ),
    );
    res.status(200).set(PAGE_HEADERS).set('Cache-Control', 'no-store').type('html').send(html);
  }
}
