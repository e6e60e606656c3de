import { applyDecorators, Body, Controller, HttpCode, Post, Query, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiQuery,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { RequestValidationException } from '../common/api-errors';
import { ErrorResponseDto, ValidationErrorResponseDto } from '../common/api-errors.dto';
import { JsonBodyGuard } from '../common/json-body.guard';
import { currentRequest } from '../common/request-context';
import { featuresByName, SurveyAnswers } from '../features/features';
import { timeStage } from '../profiling/stage-timer';
import {
  BatchResponseDto,
  FeaturesResponseDto,
  PredictProbaResponseDto,
  PredictResponseDto,
  predictionMessage,
} from './prediction.dto';
import type { Prediction } from './prediction.decision';
import { ExplainRequest, PredictionService } from './prediction.service';
import { BatchRequestDto, EXAMPLE_REQUEST, PredictRequestDto } from './predict-request.dto';
import { validateBatch, validateSurveyAnswers } from './survey-validation';
import { AppConfig } from '../config/app-config';

type QueryValue = string | string[] | undefined;

const first = (value: QueryValue): string | undefined => (Array.isArray(value) ? value[0] : value);

/** The body of a single prediction, with the reference's example. */
const ANSWERS_BODY = ApiBody({
  type: PredictRequestDto,
  examples: { reference: { summary: 'The reference example', value: EXAMPLE_REQUEST } },
});

/** Content-type and error documentation shared by the endpoints that take answers; the body's own, or one row's. */
function TakesAnswers(body: MethodDecorator = ANSWERS_BODY): MethodDecorator {
  return applyDecorators(
    HttpCode(200),
    UseGuards(JsonBodyGuard),
    body,
    ApiUnprocessableEntityResponse({
      type: ValidationErrorResponseDto,
      description: 'Invalid answers (all problems at once) or malformed JSON (`json_invalid`)',
    }),
    ApiPayloadTooLargeResponse({ type: ErrorResponseDto, description: 'Body over 16 KiB' }),
    ApiUnsupportedMediaTypeResponse({
      type: ErrorResponseDto,
      description: 'Content-Type is not application/json',
    }),
  );
}

/** `?explain=` values: what each asks for. */
const EXPLAIN_VALUES: Record<string, ExplainRequest['detail']> = {
  true: 'answers',
  '1': 'answers',
  features: 'features',
  false: 'none',
  '0': 'none',
};

/** The request's `?explain=`, or EXPLAIN_BY_DEFAULT without one; a 422 for any other value. */
export function explainRequest(value: QueryValue, byDefault: boolean): ExplainRequest {
  const given = first(value)?.trim().toLowerCase();
  if (given === undefined || given === '') {
    return { detail: byDefault ? 'answers' : 'none', required: false };
  }
  const detail = EXPLAIN_VALUES[given];
  if (detail === undefined) {
    throw new RequestValidationException([
      {
        loc: ['query', 'explain'],
        msg: 'Input should be true, false or features',
        type: 'enum',
        input: first(value),
        ctx: { expected: "'true', 'false' or 'features'" },
      },
    ]);
  }
  return { detail, required: detail !== 'none' };
}

/** Model choice and its errors, for the endpoints that run a model. */
function RunsModel(): MethodDecorator {
  return applyDecorators(
    ApiQuery({
      name: 'explain',
      required: false,
      enum: ['true', 'false', 'features'],
      description:
        "Add `explanation`: each answer's contribution to the output (exact: logistic regression log-odds, or " +
        "TreeSHAP on the forest probability); `features` adds the 29 model inputs' contributions. Default: " +
        'EXPLAIN_BY_DEFAULT (false)',
    }),
    ApiQuery({
      name: 'model_type',
      required: false,
      description: 'Model name (GET /models); default model if absent',
    }),
    ApiQuery({ name: 'model', required: false, description: 'Same as model_type' }),
    ApiBadRequestResponse({
      type: ErrorResponseDto,
      description:
        'Unknown model (the message lists the loaded ones), or `?explain=` with a model whose card cannot explain',
    }),
    ApiServiceUnavailableResponse({
      type: ErrorResponseDto,
      description:
        'Every session of the model stayed busy for MODEL_ACQUIRE_TIMEOUT_MS; see the Retry-After header',
    }),
  );
}

@ApiTags('prediction')
@Controller()
export class PredictionController {
  constructor(
    private readonly predictions: PredictionService,
    private readonly config: AppConfig,
  ) {}

  @Post('predict')
  @TakesAnswers()
  @RunsModel()
  @ApiOperation({ summary: 'Predict the class and the positive-class probability' })
  @ApiOkResponse({ type: PredictResponseDto })
  async predict(
    @Body() body: unknown,
    @Query('model_type') modelType?: QueryValue,
    @Query('model') model?: QueryValue,
    @Query('explain') explain?: QueryValue,
  ): Promise<PredictResponseDto> {
    const result = await this.run(body, modelType, model, explain);
    return timeStage('serialise', () => ({
      prediction: result.prediction,
      probability: result.probability,
      message: predictionMessage(result.prediction),
      risk_level: result.risk_level,
      threshold: result.threshold,
      model: result.model,
      transaction_id: transactionId(),
      ...explanationOf(result),
    }));
  }

  @Post('predict_proba')
  @TakesAnswers()
  @RunsModel()
  @ApiOperation({ summary: 'Predict the class and both class probabilities' })
  @ApiOkResponse({ type: PredictProbaResponseDto })
  async predictProba(
    @Body() body: unknown,
    @Query('model_type') modelType?: QueryValue,
    @Query('model') model?: QueryValue,
    @Query('explain') explain?: QueryValue,
  ): Promise<PredictProbaResponseDto> {
    const result = await this.run(body, modelType, model, explain);
    return timeStage('serialise', () => ({
      prediction: result.prediction,
      probabilities: result.probabilities,
      message: predictionMessage(result.prediction),
      risk_level: result.risk_level,
      threshold: result.threshold,
      model: result.model,
      transaction_id: transactionId(),
      ...explanationOf(result),
    }));
  }

  @Post('predict/batch')
  @TakesAnswers(
    ApiBody({
      type: BatchRequestDto,
      examples: {
        two: {
          summary: 'Two patients',
          value: { instances: [EXAMPLE_REQUEST, { ...EXAMPLE_REQUEST, AGE: 41, SMOKING: 0, COUGHING: 0 }] },
        },
      },
    }),
  )
  @RunsModel()
  @ApiOperation({
    summary: 'Predict many rows in one model run',
    description:
      'Up to BATCH_MAX_ROWS instances, each the body of POST /predict. A bad row refuses the whole batch with a 422 ' +
      'whose `loc` is `["body","instances",i,field]`. Each row is logged as an entry of its own, under the ' +
      "batch's transaction id.",
  })
  @ApiOkResponse({ type: BatchResponseDto })
  async predictBatch(
    @Body() body: unknown,
    @Query('model_type') modelType?: QueryValue,
    @Query('model') model?: QueryValue,
    @Query('explain') explain?: QueryValue,
  ): Promise<BatchResponseDto> {
    const explaining = explainRequest(explain, this.config.model.explainByDefault);
    const validation = timeStage('validate', () => validateBatch(body, this.config.model.batchMaxRows));
    if (!validation.ok) {
      throw new RequestValidationException(validation.detail);
    }
    const results = await this.predictions.predictBatch(
      validation.rows,
      first(modelType) ?? first(model),
      explaining,
    );
    const predictions = results.map((result) => ({
      prediction: result.prediction,
      probability: result.probability,
      risk_level: result.risk_level,
      ...explanationOf(result),
    }));
    const ctx = currentRequest();
    if (ctx) {
      ctx.loggedRows = validation.rows.map((input, row) => ({ input, result: { row, ...predictions[row] } }));
    }
    return {
      predictions,
      model: results[0]!.model,
      threshold: results[0]!.threshold,
      transaction_id: transactionId(),
    };
  }

  @Post('features')
  @TakesAnswers()
  @ApiOperation({ summary: 'The 29 model inputs the answers turn into, in model order' })
  @ApiOkResponse({ type: FeaturesResponseDto })
  features(@Body() body: unknown): FeaturesResponseDto {
    const answers = validated(body);
    return { features: timeStage('feature_engineering', () => featuresByName(answers)) };
  }

  private run(
    body: unknown,
    modelType: QueryValue,
    model: QueryValue,
    explain: QueryValue,
  ): Promise<Prediction> {
    const explaining = explainRequest(explain, this.config.model.explainByDefault);
    const answers = validated(body);
    return this.predictions.predict(answers, first(modelType) ?? first(model), explaining);
  }
}

function validated(body: unknown): SurveyAnswers {
  const result = timeStage('validate', () => validateSurveyAnswers(body));
  if (!result.ok) {
    throw new RequestValidationException(result.detail);
  }
  return result.answers;
}

/** `{explanation}` when the prediction was explained, nothing otherwise (the field is absent, not null). */
function explanationOf({ explanation }: Prediction): Pick<Prediction, 'explanation'> {
  return explanation ? { explanation } : {};
}

function transactionId(): string {
  return currentRequest()?.transactionId ?? '';
}
