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
import { Prediction, PredictionService } from './prediction.service';
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

/** Model choice and its errors, for the endpoints that run a model. */
function RunsModel(): MethodDecorator {
  return applyDecorators(
    ApiQuery({
      name: 'model_type',
      required: false,
      description: 'Model name (GET /models); default model if absent',
    }),
    ApiQuery({ name: 'model', required: false, description: 'Same as model_type' }),
    ApiBadRequestResponse({
      type: ErrorResponseDto,
      description: 'Unknown model; the message lists the loaded ones',
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
  ): Promise<PredictResponseDto> {
    const result = await this.run(body, modelType, model);
    return timeStage('serialise', () => ({
      prediction: result.prediction,
      probability: result.probability,
      message: predictionMessage(result.prediction),
      risk_level: result.risk_level,
      threshold: result.threshold,
      model: result.model,
      transaction_id: transactionId(),
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
  ): Promise<PredictProbaResponseDto> {
    const result = await this.run(body, modelType, model);
    return timeStage('serialise', () => ({
      prediction: result.prediction,
      probabilities: result.probabilities,
      message: predictionMessage(result.prediction),
      risk_level: result.risk_level,
      threshold: result.threshold,
      model: result.model,
      transaction_id: transactionId(),
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
  ): Promise<BatchResponseDto> {
    const validation = timeStage('validate', () => validateBatch(body, this.config.model.batchMaxRows));
    if (!validation.ok) {
      throw new RequestValidationException(validation.detail);
    }
    const results = await this.predictions.predictBatch(validation.rows, first(modelType) ?? first(model));
    const predictions = results.map(({ prediction, probability, risk_level }) => ({
      prediction,
      probability,
      risk_level,
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

  private run(body: unknown, modelType: QueryValue, model: QueryValue): Promise<Prediction> {
    const answers = validated(body);
    return this.predictions.predict(answers, first(modelType) ?? first(model));
  }
}

function validated(body: unknown): SurveyAnswers {
  const result = timeStage('validate', () => validateSurveyAnswers(body));
  if (!result.ok) {
    throw new RequestValidationException(result.detail);
  }
  return result.answers;
}

function transactionId(): string {
  return currentRequest()?.transactionId ?? '';
}
