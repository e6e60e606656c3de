import { canonicalField, INPUT_FIELDS } from '../features/features';
import { v7 as uuidv7 } from 'uuid';
import type {
  LogEntry,
  LoggedContribution,
  LoggedExplanation,
  LogLevel,
  PerformanceMetrics,
  ShadowOutcome,
} from '../log-store/log-entry';
import { isPlainObject } from '../common/is-plain-object';
import { strongestAnswers } from '../explanation/explanation.answers';

/** What the recorder knows about an answered call. */
export interface RecordedCall {
  transactionId: string;
  method: string;
  /** Without the query string and without the `/api` alias prefix. */
  path: string;
  statusCode: number;
  /** First byte in to response end. */
  latencyNs: bigint;
  /** The parsed request body (undefined without one). */
  body: unknown;
  /** The response body: what the handler returned, or the error body. */
  result: unknown;
  model: string | null;
  metrics: PerformanceMetrics | null;
  /** With SHADOW_MODEL: the shadow model's answer to this row. */
  shadow?: ShadowOutcome;
  /** When the response ended. */
  at: Date;
}

export function levelFor(statusCode: number): LogLevel {
  if (statusCode >= 500) {
    return 'ERROR';
  }
  return statusCode >= 400 ? 'WARNING' : 'INFO';
}

/**
 * The body with the survey fields under their canonical names, as validation reads it (the canonical spelling
 * first, then the first alternative spelling); other keys are kept as sent. Null when the body is not an object.
 */
export function canonicalInput(body: unknown): Record<string, unknown> | null {
  if (!isPlainObject(body)) {
    return null;
  }
  const input: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    const name = canonicalField(key) ?? key;
    if (!(name in input) || key === name) {
      input[name] = value;
    }
  }
  return input;
}

/**
 * JSON as Python's `json.dumps` writes it by default (`", "` and `": "` separators, non-ASCII escaped), so the
 * message reads exactly like the reference's lines and the greps people wrote for them keep matching.
 */
export function pythonJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) {
    return 'null';
  }
  return spaced(JSON.parse(json)).replace(
    /[\u0080-\uffff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function spaced(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(spaced).join(', ')}]`;
  }
  if (isPlainObject(value)) {
    return `{${Object.entries(value)
      .map(([key, item]) => `${JSON.stringify(key)}: ${spaced(item)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Longest input or result (as the message writes it) an entry keeps whole. Bodies may reach 16 KiB and a 422
 * echoes the body once per problem, so without a bound one hostile request would make a log entry of close to a
 * megabyte, in memory, in Redis and in every bulk request that ships it.
 */
export const LOGGED_JSON_MAX_CHARS = 4096;
/** Of a result too long to keep whole: how much of its JSON the entry keeps. */
export const LOGGED_PREVIEW_CHARS = 1024;
/** Longest survey answer (as JSON) kept from an input too long to keep whole. */
const KEPT_ANSWER_MAX_CHARS = 32;

/** What is kept of an input too long to keep whole: the survey answers of a sane length, and how long it was. */
function truncatedInput(input: Record<string, unknown>, chars: number): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const field of INPUT_FIELDS) {
    const json = JSON.stringify(input[field]);
    if (json !== undefined && json.length <= KEPT_ANSWER_MAX_CHARS) {
      kept[field] = input[field];
    }
  }
  return { ...kept, _truncated: { json_chars: chars } };
}

/** What is kept of a result too long to keep whole: the start of its JSON, and how long it was. */
function truncatedResult(json: string): Record<string, unknown> {
  return { _truncated: { json_chars: json.length, preview: json.slice(0, LOGGED_PREVIEW_CHARS) } };
}

/** Answers an entry keeps on each side of an explanation. */
export const LOGGED_CONTRIBUTIONS = 3;

/**
 * A result without its explanation, and what the entry keeps of that explanation: the answers that raised and
 * lowered the output most (the response's contributions are sorted by size), so entries stay small.
 */
export function splitExplanation(result: unknown): {
  result: unknown;
  explanation: LoggedExplanation | null;
} {
  if (!isPlainObject(result) || !isPlainObject(result.explanation)) {
    return { result, explanation: null };
  }
  const { explanation: e, ...rest } = result;
  const contributions = (Array.isArray(e.contributions) ? e.contributions : []).filter(
    (c): c is LoggedContribution => isPlainObject(c) && typeof c.contribution === 'number',
  );
  const { raising, lowering } = strongestAnswers(contributions, LOGGED_CONTRIBUTIONS);
  const kept = (side: LoggedContribution[]): LoggedContribution[] =>
    side.map(({ answer, value, contribution }) => ({ answer, value, contribution }));
  return {
    result: rest,
    explanation: {
      method: String(e.method),
      output_scale: String(e.output_scale),
      base_value: Number(e.base_value),
      output: Number(e.output),
      raising: kept(raising),
      lowering: kept(lowering),
    },
  };
}

export function buildLogEntry(call: RecordedCall): LogEntry {
  // Rounded once, so the message's two decimals are always those of latency_ms.
  const latencyMs = Math.round(Number(call.latencyNs) / 1e3) / 1e3;
  const explained = splitExplanation(call.result);
  let input = canonicalInput(call.body);
  let inputJson = pythonJson(input);
  if (input !== null && inputJson.length > LOGGED_JSON_MAX_CHARS) {
    input = truncatedInput(input, inputJson.length);
    inputJson = pythonJson(input);
  }
  let result = explained.result === undefined ? null : explained.result;
  let resultJson = pythonJson(result);
  if (resultJson.length > LOGGED_JSON_MAX_CHARS) {
    result = truncatedResult(resultJson);
    resultJson = pythonJson(result);
  }
  return {
    // UUIDv7 (time-ordered, monotonic within the process; uuid draws its random bytes from a pooled buffer).
    id: uuidv7(),
    timestamp: call.at.toISOString(),
    level: levelFor(call.statusCode),
    message:
      `[${call.transactionId}] API Call - ${call.method} ${call.path} - Status: ${call.statusCode} - ` +
      `Time: ${latencyMs.toFixed(2)}ms - Input: ${inputJson} - Result: ${resultJson}`,
    data: {
      transaction_id: call.transactionId,
      method: call.method,
      path: call.path,
      status_code: call.statusCode,
      latency_ms: latencyMs,
      execution_time_ms: latencyMs,
      input_data: input,
      result,
      model: call.model,
      performance_metrics: call.metrics,
      ...(explained.explanation ? { explanation: explained.explanation } : {}),
      ...(call.shadow ? { shadow: call.shadow } : {}),
    },
  };
}
