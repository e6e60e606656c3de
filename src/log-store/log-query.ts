import type { ValidationDetail } from '../common/api-errors';
import type { LogEntry, LogLevel } from './log-entry';
import type { LogQuery, QueuedRecord } from './log-store';

export function hasFilters(query: LogQuery): boolean {
  return query.level !== undefined || query.path !== undefined || query.since !== undefined;
}

/** The filter part of a query as one predicate, shared by the store adapters so they answer alike. */
function entryFilter(query: LogQuery): (entry: LogEntry) => boolean {
  const sinceMs = query.since === undefined ? undefined : Date.parse(query.since);
  return (entry) =>
    (query.level === undefined || entry.level === query.level) &&
    (query.path === undefined || entry.data.path === query.path) &&
    (sinceMs === undefined || Date.parse(entry.timestamp) >= sinceMs);
}

/**
 * Applies filters and paging to entries given newest first (the view's order), parsing each lazily: `parse` may
 * return undefined for a line that is not an entry (the reference's text lines), which is skipped.
 */
export function queryEntries<T>(
  newestFirst: Iterable<T>,
  parse: (item: T) => LogEntry | undefined,
  query: LogQuery,
): { total: number; logs: LogEntry[] } {
  const matches = entryFilter(query);
  const logs: LogEntry[] = [];
  let total = 0;
  for (const item of newestFirst) {
    const entry = parse(item);
    if (entry && matches(entry)) {
      if (total >= query.offset && logs.length < query.limit) {
        logs.push(entry);
      }
      total += 1;
    }
  }
  return { total, logs };
}

/** JSON.parse for stored entries; anything else (a legacy text line, a foreign value) is not an entry. */
export function parseEntry(text: string): LogEntry | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && 'data' in value && 'id' in value
      ? (value as LogEntry)
      : undefined;
  } catch {
    return undefined;
  }
}

/** What the shipping queue holds: a log entry, or a record bound for an index of its own (QueuedRecord). */
export function parseQueued(text: string): LogEntry | QueuedRecord | undefined {
  const entry = parseEntry(text);
  if (entry) {
    return entry;
  }
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' &&
      value !== null &&
      'kind' in value &&
      value.kind === 'drift_evaluation' &&
      'id' in value &&
      typeof value.id === 'string' &&
      'timestamp' in value &&
      typeof value.timestamp === 'string'
      ? (value as QueuedRecord)
      : undefined;
  } catch {
    return undefined;
  }
}

export const LOG_LEVELS: readonly LogLevel[] = ['INFO', 'WARNING', 'ERROR'];
const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

/** ISO-8601 date or date-time, with optional seconds, fraction and zone. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

type QueryParams = Record<string, unknown>;

/** Whether the YYYY-MM-DD a text starts with exists (Date.parse rolls 2025-02-30 over to March instead). */
function realDate(text: string): boolean {
  const [year, month, day] = text.slice(0, 10).split('-').map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** The last value of a repeated parameter, as FastAPI reads it. */
function last(value: unknown): unknown {
  return Array.isArray(value) ? value[value.length - 1] : value;
}

function integerParam(
  params: QueryParams,
  name: string,
  fallback: number,
  min: number,
  max: number,
  problems: ValidationDetail[],
): number {
  const raw = last(params[name]);
  if (raw === undefined) {
    return fallback;
  }
  const loc = ['query', name];
  if (typeof raw !== 'string' || !/^\s*[+-]?\d+\s*$/.test(raw)) {
    problems.push({
      type: 'int_parsing',
      loc,
      msg: 'Input should be a valid integer, unable to parse string as an integer',
      input: raw,
    });
    return fallback;
  }
  const value = Number(raw);
  if (value < min) {
    problems.push({
      type: 'greater_than_equal',
      loc,
      msg: `Input should be greater than or equal to ${min}`,
      input: raw,
      ctx: { ge: min },
    });
  } else if (value > max) {
    problems.push({
      type: 'less_than_equal',
      loc,
      msg: `Input should be less than or equal to ${max}`,
      input: raw,
      ctx: { le: max },
    });
  }
  return value;
}

/**
 * GET /logs parameters → a LogQuery, or every problem in FastAPI's 422 shape. `level` is read in any case; `path`
 * may be given with the `/api` prefix; `since` without a zone means UTC.
 */
export function parseLogQuery(
  params: QueryParams,
): { ok: true; query: LogQuery } | { ok: false; detail: ValidationDetail[] } {
  const problems: ValidationDetail[] = [];
  const query: LogQuery = {
    limit: integerParam(params, 'limit', DEFAULT_LIMIT, 1, MAX_LIMIT, problems),
    offset: integerParam(params, 'offset', 0, 0, Number.MAX_SAFE_INTEGER, problems),
  };
  const level = last(params.level);
  if (level !== undefined) {
    const upper = typeof level === 'string' ? level.toUpperCase() : '';
    if ((LOG_LEVELS as readonly string[]).includes(upper)) {
      query.level = upper as LogLevel;
    } else {
      const expected = "'INFO', 'WARNING' or 'ERROR'";
      problems.push({
        type: 'enum',
        loc: ['query', 'level'],
        msg: `Input should be ${expected}`,
        input: level,
        ctx: { expected },
      });
    }
  }
  const path = last(params.path);
  if (path !== undefined) {
    if (typeof path === 'string' && path.startsWith('/')) {
      query.path = path === '/api' || path.startsWith('/api/') ? path.slice(4) || '/' : path;
    } else {
      problems.push({
        type: 'string_pattern_mismatch',
        loc: ['query', 'path'],
        msg: "String should match pattern '^/'",
        input: path,
        ctx: { pattern: '^/' },
      });
    }
  }
  const since = last(params.since);
  if (since !== undefined) {
    const text = typeof since === 'string' ? since.trim().replace(' ', 'T') : '';
    const match = ISO_DATE_TIME.exec(text);
    // A date-time without a zone is read as UTC, as a date alone already is.
    const ms =
      match && realDate(text) ? Date.parse(match[1] || !text.includes(':') ? text : `${text}Z`) : Number.NaN;
    if (Number.isNaN(ms)) {
      problems.push({
        type: 'datetime_parsing',
        loc: ['query', 'since'],
        msg: 'Input should be a valid datetime (ISO-8601, e.g. 2025-01-31T08:00:00Z)',
        input: since,
      });
    } else {
      query.since = new Date(ms).toISOString();
    }
  }
  return problems.length > 0 ? { ok: false, detail: problems } : { ok: true, query };
}
