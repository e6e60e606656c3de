import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsInt, Max, Min } from 'class-validator';
import { EXAMPLE_ANSWERS, type SurveyAnswers } from '../features/features';

/** Number-like strings pydantic's lax mode accepts for an int: optional sign, digits, optional `.000`. */
const INTEGER_STRING = /^[+-]?\d+(\.0*)?$/;

/**
 * The reference's (pydantic) lax coercion to int, applied by validateSurveyAnswers before validation: `true`/`false` → 1/0, `"65"`/`" 65.0 "` → 65.
 * Anything else is left as it came, for the validators to reject with the right error.
 */
export function laxInteger(value: unknown): unknown {
  if (typeof value === 'boolean') {
    return value ? 1 : 0;
  }
  if (typeof value === 'string' && INTEGER_STRING.test(value.trim())) {
    return Number(value.trim());
  }
  return value;
}

/**
 * FastAPI error `type` and `ctx` of each rule, carried as class-validator contexts, and FastAPI's messages, so the
 * DTO alone says how a violation is reported.
 */
function Answer(max: number, description: string, example: number): PropertyDecorator {
  return applyDecorators(
    ApiProperty({ type: 'integer', minimum: 0, maximum: max, example, description }),
    IsDefined({ message: 'Field required', context: { type: 'missing' } }),
    IsInt({ message: 'Input should be a valid integer', context: { type: 'int_type' } }),
    Min(0, {
      message: 'Input should be greater than or equal to 0',
      context: { type: 'greater_than_equal', ctx: { ge: 0 } },
    }),
    Max(max, {
      message: `Input should be less than or equal to ${max}`,
      context: { type: 'less_than_equal', ctx: { le: max } },
    }),
  );
}

const YesNo = (question: string, example: number): PropertyDecorator =>
  Answer(1, `${question} 0 = no, 1 = yes (true/false accepted).`, example);

/**
 * The 15 survey answers, under the reference API's names (with spaces). Underscore spellings (`CHRONIC_DISEASE`)
 * are accepted too and unknown keys ignored; `65`, `65.0`, `"65"` and booleans are accepted as integers.
 * Validated by `validateSurveyAnswers`, the one entry point for the JSON API and the HTML form.
 */
export class PredictRequestDto implements SurveyAnswers {
  @Answer(120, 'Age in years (0-120).', 65)
  AGE!: number;

  @Answer(1, 'Gender: 0 = female, 1 = male.', 1)
  GENDER!: number;

  @YesNo('Smokes.', 1)
  SMOKING!: number;

  @YesNo('Yellow fingers.', 1)
  YELLOW_FINGERS!: number;

  @YesNo('Anxiety.', 0)
  ANXIETY!: number;

  @YesNo('Peer pressure.', 0)
  PEER_PRESSURE!: number;

  @YesNo('Chronic disease (also accepted as CHRONIC_DISEASE).', 0)
  'CHRONIC DISEASE'!: number;

  @YesNo('Fatigue.', 1)
  FATIGUE!: number;

  @YesNo('Allergy.', 0)
  ALLERGY!: number;

  @YesNo('Wheezing.', 1)
  WHEEZING!: number;

  @YesNo('Drinks alcohol (also accepted as ALCOHOL_CONSUMING).', 1)
  'ALCOHOL CONSUMING'!: number;

  @YesNo('Coughing.', 1)
  COUGHING!: number;

  @YesNo('Shortness of breath (also accepted as SHORTNESS_OF_BREATH).', 1)
  'SHORTNESS OF BREATH'!: number;

  @YesNo('Swallowing difficulty (also accepted as SWALLOWING_DIFFICULTY).', 0)
  'SWALLOWING DIFFICULTY'!: number;

  @YesNo('Chest pain (also accepted as CHEST_PAIN).', 1)
  'CHEST PAIN'!: number;
}

/** POST /predict/batch: up to BATCH_MAX_ROWS bodies of POST /predict. */
export class BatchRequestDto {
  @ApiProperty({ type: [PredictRequestDto], minItems: 1, description: 'Up to BATCH_MAX_ROWS (1 000) rows' })
  instances!: PredictRequestDto[];
}

/** The reference's example body, used by Swagger and the tests. */
export const EXAMPLE_REQUEST: SurveyAnswers = EXAMPLE_ANSWERS;
