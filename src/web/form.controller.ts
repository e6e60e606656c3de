import { Body, Controller, Get, HttpStatus, Logger, Post, Req, Res } from '@nestjs/common';
import {
  ApiExcludeEndpoint,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { TemporarilyUnavailableException } from '../common/api-errors';
import { PACKAGE } from '../common/package-info';
import { currentRequest, RequestContext, requestContextOf } from '../common/request-context';
import { ServiceDescriptionDto } from '../info/info.dto';
import { InfoService } from '../info/info.service';
import { ModelRegistry } from '../model-pool/model-registry';
import type { Prediction } from '../prediction/prediction.decision';
import { ExplainRequest, PredictionService } from '../prediction/prediction.service';
import { timeStage } from '../profiling/stage-timer';
import { Language, LANGUAGES, resolveLanguage } from './form.i18n';
import { FormProblem, FormValues, readFormSubmission } from './form.submission';
import { buildFormPage, FormFailure } from './form.view-model';

/**
 * Headers of the HTML page. The page loads only its own stylesheet and script (no inline code), so a strict policy
 * holds; answers about a patient are not cached.
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

interface PageState {
  values?: FormValues;
  problems?: FormProblem[];
  prediction?: Prediction;
  failure?: FormFailure;
}

/** The page always says what weighs most, when the model can explain (its card carries the background). */
const FORM_EXPLANATION: ExplainRequest = { detail: 'answers', required: false };

/**
 * The form page at `/` for browsers (GET `/` stays the JSON description for API clients), and its submission: a
 * plain url-encoded POST, validated and predicted by the same code as the JSON API, answered with the whole page.
 */
@ApiTags('service')
@Controller()
export class FormController {
  private readonly logger = new Logger(FormController.name);

  constructor(
    private readonly info: InfoService,
    private readonly registry: ModelRegistry,
    private readonly predictions: PredictionService,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Service name, version and endpoints; browsers (Accept: text/html) get the form page',
  })
  @ApiProduces('application/json', 'text/html')
  @ApiQuery({
    name: 'lang',
    required: false,
    enum: LANGUAGES,
    description: 'Language of the HTML page (otherwise from Accept-Language, French by default)',
  })
  @ApiOkResponse({ type: ServiceDescriptionDto })
  async root(@Req() req: Request, @Res() res: Response): Promise<void> {
    res.vary('Accept');
    if (req.accepts(['application/json', 'text/html']) !== 'text/html') {
      const description = this.info.describe();
      this.noteLoggedResult(req, description);
      res.json(description);
      return;
    }
    await this.sendPage(req, res, HttpStatus.OK, {});
  }

  @Post()
  @ApiExcludeEndpoint()
  @ApiOperation({ summary: 'Submits the form page (HTML): the page again, with the result or the problems' })
  async submit(@Req() req: Request, @Res() res: Response, @Body() body: unknown): Promise<void> {
    const submission = timeStage('validate', () => readFormSubmission(body, this.registry.names()));
    const { values } = submission;
    if (!submission.ok) {
      await this.sendPage(req, res, HttpStatus.UNPROCESSABLE_ENTITY, {
        values,
        problems: submission.problems,
      });
      return;
    }
    let prediction: Prediction;
    try {
      prediction = await this.predictions.predict(submission.answers, submission.model, FORM_EXPLANATION);
    } catch (error) {
      if (error instanceof TemporarilyUnavailableException) {
        res.set('Retry-After', String(error.retryAfterSeconds));
        await this.sendPage(req, res, HttpStatus.SERVICE_UNAVAILABLE, { values, failure: { kind: 'busy' } });
        return;
      }
      this.logger.error(`Form prediction failed: ${error instanceof Error ? error.stack : String(error)}`);
      await this.sendPage(req, res, HttpStatus.INTERNAL_SERVER_ERROR, {
        values,
        failure: { kind: 'internal' },
      });
      return;
    }
    await this.sendPage(req, res, HttpStatus.OK, { values, prediction });
  }

  private async sendPage(req: Request, res: Response, status: number, state: PageState): Promise<void> {
    const ctx = this.noteLoggedResult(req, loggedResultOf(state));
    const model = buildFormPage({
      ...state,
      lang: languageOf(req),
      models: this.registry.list(),
      transactionId: ctx?.transactionId ?? '',
      version: PACKAGE.version,
    });
    const html = await new Promise<string>((resolve, reject) =>
      res.render('form', model, (error: Error | null, rendered?: string) =>
        error ? reject(error) : resolve(rendered ?? ''),
      ),
    );
    res.status(status).set(PAGE_HEADERS).type('html').send(html);
  }

  /** What the request log records as this call's result: the handlers here write their responses themselves. */
  private noteLoggedResult(req: Request, result: unknown): RequestContext | undefined {
    const ctx = currentRequest() ?? requestContextOf(req);
    if (ctx) {
      ctx.loggedResult = result;
    }
    return ctx;
  }
}

function loggedResultOf({ prediction, problems, failure }: PageState): unknown {
  if (prediction) {
    const { prediction: label, probability, risk_level, threshold, model } = prediction;
    return { prediction: label, probability, risk_level, threshold, model };
  }
  return problems ? { detail: problems } : (failure ?? null);
}

function languageOf(req: Request): Language {
  return resolveLanguage(req.query.lang, (...languages) => req.acceptsLanguages(...languages));
}
