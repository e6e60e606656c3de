import {
  type LogEntry,
  type LogLevel,
  type StoredEntry,
  storedEntry,
} from '../../../src/log-store/log-entry';
import { v7 as uuidv7 } from 'uuid';

export interface EntrySpec {
  level?: LogLevel;
  path?: string;
  status?: number;
  /** ISO-8601. */
  timestamp?: string;
  latencyMs?: number;
  prediction?: 0 | 1;
}

/** A log entry as the recorder writes it, with the parts the tests vary; each call gets a new, later id. */
export function logEntry(spec: EntrySpec = {}): LogEntry {
  const id = uuidv7();
  const path = spec.path ?? '/predict';
  const status = spec.status ?? 200;
  const result = spec.prediction === undefined ? { detail: 'x' } : { prediction: spec.prediction };
  return {
    id,
    timestamp: spec.timestamp ?? new Date().toISOString(),
    level: spec.level ?? 'INFO',
    message: `[${id}] API Call - POST ${path} - Status: ${status} - Time: 1.00ms - Input: {} - Result: {}`,
    data: {
      transaction_id: id,
      method: 'POST',
      path,
      status_code: status,
      latency_ms: spec.latencyMs ?? 1,
      execution_time_ms: spec.latencyMs ?? 1,
      input_data: { AGE: 65, 'CHEST PAIN': 1 },
      result,
      model: spec.prediction === undefined ? null : 'logistic_regression@1',
      performance_metrics: null,
    },
  };
}

export const entries = (count: number, spec: EntrySpec = {}): LogEntry[] =>
  Array.from({ length: count }, () => logEntry(spec));

/** Entries as the log store and the write buffer take them: serialised once. */
export const asStored = (list: readonly LogEntry[]): StoredEntry[] => list.map(storedEntry);
