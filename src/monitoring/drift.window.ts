import { isPlainObject } from '../common/is-plain-object';
import type { LogEntry } from '../log-store/log-entry';
import { isSuccessfulPrediction } from '../log-shipping/log-shipping.documents';
import type { SurveyAnswers } from '../features/features';
import { validateSurveyAnswers } from '../prediction/survey-validation';

/** One prediction of the window: the answers it was asked about and its decision. */
export interface WindowRow {
  answers: SurveyAnswers;
  prediction: 0 | 1;
  /** `<name>@<version>` of the model that answered. */
  model: string | null;
  timestamp: string;
}

/**
 * A prediction as drift monitoring reads it: a 0/1 `prediction` and logged answers that validate as a survey body.
 * Anything else (entries logged with LOG_INPUTS=none, a document missing answers) is not part of the window.
 */
function predictionRow(
  input: unknown,
  result: unknown,
  model: string | null,
  timestamp: string,
): WindowRow | undefined {
  if (!isPlainObject(result) || (result.prediction !== 0 && result.prediction !== 1)) {
    return undefined;
  }
  const answers = input === null || input === undefined ? undefined : validateSurveyAnswers(input);
  return answers?.ok
    ? { answers: answers.answers, prediction: result.prediction, model, timestamp }
    : undefined;
}

/**
 * The prediction a log entry records: the same calls as the message index holds (successful /predict,
 * /predict_proba and batch rows; see isSuccessfulPrediction), so the service and `npm run drift` judge the same rows.
 */
export function windowRow(entry: LogEntry): WindowRow | undefined {
  return isSuccessfulPrediction(entry)
    ? predictionRow(entry.data.input_data, entry.data.result, entry.data.model, entry.timestamp)
    : undefined;
}

/** The prediction a document of the message index (Elasticsearch, or the NDJSON archive) records. */
export function messageDocumentRow(source: Record<string, unknown>): WindowRow | undefined {
  const input = isPlainObject(source.input_data)
    ? Object.fromEntries(Object.entries(source.input_data).filter(([, v]) => v !== null))
    : undefined;
  const timestamp = source['@timestamp'];
  return typeof timestamp === 'string'
    ? predictionRow(input, source.result, typeof source.model === 'string' ? source.model : null, timestamp)
    : undefined;
}

/**
 * The newest `size` predictions of entries given newest first (or every one since `since`, when given). Replicas
 * write their batches in turn, so the view is newest first only roughly: `since` filters every entry read rather
 * than stopping at the first older one.
 */
export function predictionWindow(newestFirst: Iterable<LogEntry>, size: number, since?: string): WindowRow[] {
  const sinceMs = since === undefined ? undefined : Date.parse(since);
  const rows: WindowRow[] = [];
  for (const entry of newestFirst) {
    if (sinceMs === undefined && rows.length >= size) {
      break;
    }
    const row =
      sinceMs === undefined || Date.parse(entry.timestamp) >= sinceMs ? windowRow(entry) : undefined;
    if (row) {
      rows.push(row);
    }
  }
  return rows;
}

/** Every prediction logged from `from` to `to` (inclusive, ISO-8601) among the entries given. */
export function rowsBetween(entries: Iterable<LogEntry>, from: string, to: string): WindowRow[] {
  const fromMs = Date.parse(from);
  const toMs = Date.parse(to);
  const rows: WindowRow[] = [];
  for (const entry of entries) {
    const at = Date.parse(entry.timestamp);
    const row = at >= fromMs && at <= toMs ? windowRow(entry) : undefined;
    if (row) {
      rows.push(row);
    }
  }
  return rows;
}
