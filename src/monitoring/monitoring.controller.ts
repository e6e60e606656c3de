import { Body, Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { Response } from 'express';
import { RequestValidationException } from '../common/api-errors';
import { ErrorResponseDto } from '../common/api-errors.dto';
import { KeyScope } from '../common/api-key.guard';
import { PACKAGE } from '../common/package-info';
import type { DriftEvaluation } from '../log-store/drift-evaluation';
import { parseLogQuery } from '../log-store/log-query';
import { PAGE_HEADERS } from '../web/form.controller';
import type { Alert } from './alerts.service';
import type { DriftReport } from './drift.engine';
import { parseReferenceChoice, type DriftReference } from './drift.reference';
import { DriftService, ReferenceUnavailableError, type ReferenceSource } from './drift.service';
import { dashboardPage, driftPage } from './monitoring.pages';
import { HISTORY_SHOWN_MS, MonitoringService } from './monitoring.service';
import type { MonitoringSummary } from './monitoring.summary';

type ReferenceAnswer = { source: ReferenceSource; reference: Omit<DriftReference, 'age' | 'ones'> };

const described = ({
  reference,
  source,
}: {
  reference: DriftReference;
  source: ReferenceSource;
}): ReferenceAnswer => {
  const { age: _age, ones: _ones, ...rest } = reference;
  return { source, reference: rest };
};

/**
 * Drift, the dashboard and the alerts. They hold aggregates only, never one person's answers, so they are open
 * (no API key) for a browser unless API_KEY_REQUIRED_FOR=all; they are not API calls to log (see
 * request-log.service.ts), and not rate limited so that a dashboard refreshing every few seconds is never refused.
 * Choosing the drift reference changes what every replica judges: that one needs the admin key.
 */
@ApiTags('monitoring')
@KeyScope('monitoring')
@SkipThrottle()
@Controller()
export class MonitoringController {
  constructor(
    private readonly monitoring: MonitoringService,
    private readonly drift: DriftService,
  ) {}

  @Get('drift')
  @ApiOperation({ summary: 'Input and prediction drift of the recent window against the reference' })
  @ApiQuery({
    name: 'since',
    required: false,
    description: 'ISO-8601: judge the predictions logged since then instead of the last DRIFT_WINDOW_SIZE',
  })
  @ApiOkResponse({
    description: 'Per input: test, statistic, p-values, PSI, level; the verdict in one sentence',
  })
  @ApiServiceUnavailableResponse({
    type: ErrorResponseDto,
    description: 'The request log or the reference cannot be read',
  })
  report(@Query() params: Record<string, unknown>): Promise<DriftReport> {
    return this.drift.report(this.since(params));
  }

  @Get('drift/history')
  @ApiOperation({
    summary: 'The kept drift evaluations (every DRIFT_EVALUATE_SECONDS, 7 days), oldest first',
  })
  @ApiQuery({ name: 'since', required: false, description: 'ISO-8601 (default: 24 hours ago)' })
  async history(@Query() params: Record<string, unknown>): Promise<{ evaluations: DriftEvaluation[] }> {
    const since = this.since(params);
    const sinceMs = since === undefined ? Date.now() - HISTORY_SHOWN_MS : Date.parse(since);
    return { evaluations: await this.drift.history(sinceMs) };
  }

  @Get('drift/reference')
  @ApiOperation({ summary: 'The reference drift is judged against, and where the choice comes from' })
  async reference(): Promise<ReferenceAnswer> {
    return described(await this.drift.reference());
  }

  @Post('drift/reference')
  @KeyScope('admin')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Choose the drift reference of every replica',
    description:
      "`card`: the default model's training data; `window` with `from` and `to`: the predictions logged then, " +
      'read from the log view now (it must still hold DRIFT_MIN_SAMPLES of them) and kept; `default`: back to ' +
      'DRIFT_REFERENCE.',
  })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['reference'],
      properties: {
        reference: { type: 'string', enum: ['card', 'window', 'default'] },
        from: { type: 'string', format: 'date-time' },
        to: { type: 'string', format: 'date-time' },
      },
      example: { reference: 'window', from: '2026-12-01T08:00:00Z', to: '2026-12-01T20:00:00Z' },
    },
  })
  @ApiUnprocessableEntityResponse({ type: ErrorResponseDto, description: 'A bad body, or a window too thin' })
  async chooseReference(@Body() body: unknown): Promise<ReferenceAnswer> {
    const parsed = parseReferenceChoice(body);
    if (!parsed.ok) {
      throw new RequestValidationException(parsed.detail);
    }
    try {
      return described(await this.drift.choose(parsed.choice));
    } catch (error) {
      if (error instanceof ReferenceUnavailableError) {
        throw new RequestValidationException([{ loc: ['body'], msg: error.message, type: 'value_error' }]);
      }
      throw error;
    }
  }

  @Get('monitoring/summary')
  @ApiOperation({ summary: "The dashboard's figures as JSON (no Prometheus needed)" })
  summary(): Promise<MonitoringSummary> {
    return this.monitoring.summary();
  }

  @Get('monitoring/alerts')
  @ApiOperation({ summary: 'The alerts, judged over the last 5 minutes as the Prometheus rules judge them' })
  async alerts(): Promise<{ generated_at: string; window_minutes: number; alerts: Alert[] }> {
    const { generated_at, alerts, alerts_window_minutes } = await this.monitoring.summary();
    return { generated_at, window_minutes: alerts_window_minutes, alerts };
  }

  @Get('monitoring')
  @ApiOperation({ summary: 'The monitoring dashboard (HTML)' })
  async dashboard(@Res() res: Response): Promise<void> {
    await this.page(res, 'monitoring', dashboardPage(await this.monitoring.summary(), PACKAGE.version));
  }

  @Get('monitoring/drift')
  @ApiOperation({ summary: 'The drift report (HTML): each input against the reference, and over time' })
  @ApiQuery({ name: 'since', required: false, description: 'As for GET /drift' })
  async driftReport(@Query() params: Record<string, unknown>, @Res() res: Response): Promise<void> {
    const [report, history] = await Promise.all([
      this.drift.report(this.since(params)),
      this.drift.history(Date.now() - HISTORY_SHOWN_MS),
    ]);
    await this.page(res, 'drift', driftPage(report, history, PACKAGE.version));
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
