import type { LogEntry } from './log-entry';
import type { LogQuery } from './log-store';

export function hasFilters(query: LogQuery): boolean {
  return query.level !== undefined || query.path !== undefined || query.since !== undefined;
}

/** The filter part of a query as one predicate, shared by the store adapters so they answer alike. */
export function entryFilter(query: LogQuery): (entry: LogEntry) => boolean {
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
