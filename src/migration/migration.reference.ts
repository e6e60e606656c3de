import { createHash } from 'node:crypto';
import { isPlainObject } from '../common/is-plain-object';
import { canonicalField, type InputField } from '../features/features';
import {
  canonicalAnswers,
  canonicalPath,
  type DocumentSource,
  type ShipDocument,
  type ShippingIndexes,
} from '../log-shipping/log-shipping.documents';
import { riskLevel } from '../prediction/risk-level';

/**
 * The reference's Elasticsearch documents turned into lungcheck's, field by field, by the rules of
 * docs/compatibility.md ("Elasticsearch documents: field by field", R1-R6). Pure functions, no I/O: the whole
 * export is converted at once, because a document may need another index's (the logs document of its transaction)
 * and top-function ranks need all of a transaction's documents. Every document not converted and every field not
 * carried over is counted by reason, never dropped silently.
 */

export type ReferenceKind = 'logs' | 'message' | 'perfs' | 'topFunc';
export const REFERENCE_KINDS: readonly ReferenceKind[] = ['logs', 'message', 'perfs', 'topFunc'];

/** R3: the reference never recorded which model answered; its API version stands for it. */
export const REFERENCE_MODEL = 'reference@1.0.0';

/** Which of the four indexes a reference index name is (`ml-api-top-func`, or a renamed `x-top-func`). */
export function referenceKind(index: string): ReferenceKind | undefined {
  if (/(^|[-_])top[-_]func$/.test(index)) {
    return 'topFunc';
  }
  if (/(^|[-_])logs$/.test(index)) {
    return 'logs';
  }
  if (/(^|[-_])message$/.test(index)) {
    return 'message';
  }
  return /(^|[-_])perfs$/.test(index) ? 'perfs' : undefined;
}

/** A reference document and where it was read (`file:line`), for the report. */
export interface ReferenceDocument {
  where: string;
  source: Record<string, unknown>;
}

export type ReferenceExport = Record<ReferenceKind, ReferenceDocument[]>;

/** Documents not converted (or fields not carried over) for one reason, with a few places to look at. */
export interface Tally {
  kind: ReferenceKind;
  what: string;
  count: number;
  note?: string;
  examples: string[];
}

export interface ConversionResult {
  documents: ShipDocument[];
  read: Record<ReferenceKind, number>;
  /** Copies of one document (R1: the reference's random ids duplicated them) written once. */
  collapsed: Record<ReferenceKind, number>;
  /** Performance lines the reference also indexed in ml-api-logs: they feed ml-api-perfs, not ml-api-logs. */
  performanceLines: number;
  notConverted: Tally[];
  droppedFields: Tally[];
}

export interface ConversionOptions {
  /** R2: the zone the reference's API host ran in. */
  timeZone: string;
  indexes: ShippingIndexes;
}

const EXAMPLES = 5;

class Tallies {
  private readonly byKey = new Map<string, Tally>();

  add(kind: ReferenceKind, what: string, where: string, note?: string): void {
    const key = `${kind}\n${what}`;
    const tally = this.byKey.get(key) ?? { kind, what, count: 0, examples: [], ...(note ? { note } : {}) };
    this.byKey.set(key, tally);
    tally.count += 1;
    if (tally.examples.length < EXAMPLES) {
      tally.examples.push(where);
    }
  }

  list(): Tally[] {
    return [...this.byKey.values()];
  }
}

/** A reference document's fields; whatever the conversion did not take is reported as not carried over. */
class Fields {
  private readonly used = new Set<string>();

  constructor(readonly source: Record<string, unknown>) {}

  take(key: string): unknown {
    this.used.add(key);
    return this.source[key];
  }

  left(): string[] {
    return Object.keys(this.source).filter((k) => !this.used.has(k));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Values

const numberOf = (value: unknown): number | null => {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
};

const integerOf = (value: unknown): number | null => {
  const n = numberOf(value);
  return n !== null && Number.isInteger(n) ? n : null;
};

const textOf = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/** `result.prediction`: the API's 1/0, stored by the reference as keywords (YES/NO, true/false accepted too). */
export function predictionOf(value: unknown): 0 | 1 | null {
  if (value === 1 || value === true) {
    return 1;
  }
  if (value === 0 || value === false) {
    return 0;
  }
  const s = typeof value === 'string' ? value.trim().toUpperCase() : '';
  if (s === '1' || s === 'YES' || s === 'TRUE') {
    return 1;
  }
  return s === '0' || s === 'NO' || s === 'FALSE' ? 0 : null;
}

/** An answer's canonical name; `ALCOHOL` is the reference's own renaming of `ALCOHOL CONSUMING`. */
export function referenceField(key: string): InputField | undefined {
  return canonicalField(key) ?? (key.trim().toUpperCase() === 'ALCOHOL' ? 'ALCOHOL CONSUMING' : undefined);
}

/** `2025-01-21 15:30:00 - api - INFO - ` before the message of a whole log line. */
const LINE_PREFIX = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[,.]\d+)? - \S+ - [A-Z]+ - /;

const WALL_CLOCK =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

const zoneFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * Offsets by zone and quarter-hour: zones change offset on quarter-hours at the finest, and asking Intl costs about
 * 9 µs, which was 5 of the 8 s a 300 000-document export took to convert (2026-12-02).
 */
const QUARTER_HOUR_MS = 900_000;
const zoneOffsets = new Map<string, number>();

/** How far the zone's wall clock is ahead of UTC at that instant, in ms. */
function zoneOffsetMs(utcMs: number, zone: string): number {
  const key = `${zone}\n${Math.floor(utcMs / QUARTER_HOUR_MS)}`;
  let offset = zoneOffsets.get(key);
  if (offset === undefined) {
    offset = intlOffsetMs(Math.floor(utcMs / QUARTER_HOUR_MS) * QUARTER_HOUR_MS, zone);
    zoneOffsets.set(key, offset);
  }
  return offset;
}

function intlOffsetMs(utcMs: number, zone: string): number {
  let format = zoneFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    zoneFormats.set(zone, format);
  }
  const part = Object.fromEntries(
    format.formatToParts(new Date(utcMs)).map((p) => [p.type, Number(p.value)]),
  );
  const wall = Date.UTC(
    part.year ?? 0,
    (part.month ?? 1) - 1,
    part.day ?? 1,
    part.hour,
    part.minute,
    part.second,
  );
  return wall - (utcMs - (((utcMs % 1000) + 1000) % 1000));
}

/**
 * R2: the reference's `@timestamp` is its host's wall clock to the second, labelled UTC (`Z` or no label); read in
 * `zone`, written as ISO-8601 UTC with milliseconds. An explicit other offset is taken as written. Null when the
 * value is not such a date.
 */
export function referenceTime(value: unknown, zone: string): string | null {
  const m = typeof value === 'string' ? WALL_CLOCK.exec(value.trim()) : null;
  if (!m) {
    return null;
  }
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map((part) => Number(part ?? 0));
  const ms = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const wall = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const check = new Date(wall);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    return null;
  }
  const label = m[8]?.toUpperCase();
  if (label && label !== 'Z') {
    const sign = label.startsWith('-') ? -1 : 1;
    const digits = label.slice(1).replace(':', '');
    const offset = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
    return new Date(wall - offset).toISOString();
  }
  const first = wall - zoneOffsetMs(wall, zone);
  return new Date(wall - zoneOffsetMs(first, zone)).toISOString();
}

/** R1: `ref-<transaction_id>`, or without one `ref-` and a hash of the original time and message. */
export function referenceEntryId(transactionId: string | null, timestamp: unknown, message: unknown): string {
  if (transactionId) {
    return `ref-${transactionId}`;
  }
  const text = `${typeof timestamp === 'string' ? timestamp : JSON.stringify(timestamp ?? '')}\n${typeof message === 'string' ? message : ''}`;
  return `ref-${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
}

const asObject = (value: unknown): Record<string, unknown> | null =>
  value === null || value === undefined ? null : isPlainObject(value) ? value : { value };

/** R3: only a successful prediction call ran a model. */
const isPredictionCall = (path: string | null, status: number | null): boolean =>
  status === 200 && (path === '/predict' || path === '/predict_proba');

// ---------------------------------------------------------------------------------------------------------------
// The conversion

/** What the logs document of a transaction tells the other indexes (R5). */
interface LogsFacts {
  timestamp: string | null;
  http_path: string | null;
  status_code: number | null;
  execution_time_ms: number | null;
}

interface TopFunctionRow {
  function: string;
  file: string | null;
  line: number | null;
  calls: number | null;
  total_time_ms: number | null;
  cumulative_time_ms: number | null;
}

const NOTES: Record<string, string> = {
  'message.level': 'kept in the ml-api-logs document',
  'message.message': 'kept in the ml-api-logs document',
  'message.http_method': 'kept in the ml-api-logs document',
  'message.result.message': 'follows from result.prediction',
  'message.result.probabilities': 'p1 is result.probability, p0 is 1 - p1',
  'perfs.latency_ms':
    "replaced by the logs document's execution_time_ms (the reference repeated the inference time)",
  'perfs.cpu_time_ms': 'profiler time, not CPU time: left null',
};

export function convertReferenceExport(input: ReferenceExport, options: ConversionOptions): ConversionResult {
  return new Conversion(options).run(input);
}

class Conversion {
  private readonly notConverted = new Tallies();
  private readonly dropped = new Tallies();
  private readonly facts = new Map<string, LogsFacts>();
  private readonly ids = new Set<string>();
  private readonly documents: ShipDocument[] = [];
  private readonly collapsed: Record<ReferenceKind, number> = { logs: 0, message: 0, perfs: 0, topFunc: 0 };
  private performanceLines = 0;

  constructor(private readonly options: ConversionOptions) {}

  run(input: ReferenceExport): ConversionResult {
    const perfLines: ReferenceDocument[] = [];
    for (const doc of input.logs) {
      const metrics = performanceLine(doc.source);
      if (metrics === undefined) {
        this.logs(doc);
      } else {
        this.performanceLines += 1;
        if (metrics === null) {
          this.notConverted.add('logs', 'performance line whose JSON cannot be read', doc.where);
        } else {
          perfLines.push({ where: doc.where, source: { ...metrics, '@timestamp': timestampOf(doc.source) } });
        }
      }
    }
    input.message.forEach((doc) => this.message(doc));
    input.perfs.forEach((doc) => this.perfs(doc));
    // A performance line stands in for the ml-api-perfs document its transaction lacks.
    perfLines.forEach((doc) => this.perfs(doc, true));
    this.topFunctions(input.topFunc);
    return {
      documents: this.documents,
      read: {
        logs: input.logs.length,
        message: input.message.length,
        perfs: input.perfs.length,
        topFunc: input.topFunc.length,
      },
      collapsed: this.collapsed,
      performanceLines: this.performanceLines,
      notConverted: this.notConverted.list(),
      droppedFields: this.dropped.list(),
    };
  }

  private has(kind: ReferenceKind, id: string): boolean {
    return this.ids.has(`${this.options.indexes[kind]}\n${id}`);
  }

  /** A copy of a document already converted (R1: the reference's random ids duplicated lines) is counted only. */
  private isCopy(kind: ReferenceKind, id: string): boolean {
    if (this.has(kind, id)) {
      this.collapsed[kind] += 1;
      return true;
    }
    return false;
  }

  private emit(kind: ReferenceKind, id: string, entryId: string, source: DocumentSource): void {
    const index = this.options.indexes[kind];
    this.ids.add(`${index}\n${id}`);
    this.documents.push({ index, id, entryId, source });
  }

  private time(fields: Fields): { raw: unknown; utc: string | null } {
    const raw = fields.take('@timestamp') ?? fields.take('timestamp');
    return { raw, utc: referenceTime(raw, this.options.timeZone) };
  }

  private number(
    kind: ReferenceKind,
    fields: Fields,
    key: string,
    where: string,
    integer = false,
  ): number | null {
    const value = fields.take(key);
    const n = integer ? integerOf(value) : numberOf(value);
    if (n === null && value !== null && value !== undefined) {
      this.dropped.add(kind, `${key} (not ${integer ? 'an integer' : 'a number'})`, where);
    }
    return n;
  }

  private reportLeft(kind: ReferenceKind, fields: Fields, where: string, prefix = ''): void {
    for (const key of fields.left()) {
      this.dropped.add(
        kind,
        `${prefix}${key}`,
        where,
        NOTES[`${kind}.${prefix}${key}`] ?? NOTES[`${kind}.${key}`],
      );
    }
  }

  private logs({ where, source }: ReferenceDocument): void {
    const f = new Fields(source);
    const { raw, utc } = this.time(f);
    if (!utc) {
      this.notConverted.add('logs', 'no readable @timestamp', where);
      return;
    }
    const tid = textOf(f.take('transaction_id'));
    const message = f.take('message');
    const entryId = referenceEntryId(tid, raw, message);
    if (this.isCopy('logs', entryId)) {
      return;
    }
    const rawPath = textOf(f.take('http_path'));
    const path = rawPath === null ? null : canonicalPath(rawPath);
    const status = this.number('logs', f, 'status_code', where, true);
    const executionTime = this.number('logs', f, 'execution_time_ms', where);
    this.emit('logs', entryId, entryId, {
      '@timestamp': utc,
      entry_id: entryId,
      level: textOf(f.take('level')),
      message: typeof message === 'string' ? message.replace(LINE_PREFIX, '') : null,
      transaction_id: tid,
      http_method: textOf(f.take('http_method')),
      http_path: path,
      status_code: status,
      execution_time_ms: executionTime,
      model: isPredictionCall(path, status) ? REFERENCE_MODEL : null,
      input_data: renamedInput(f.take('input_data')),
      result: asObject(f.take('result')),
    });
    this.reportLeft('logs', f, where);
    if (tid && !this.facts.has(tid)) {
      this.facts.set(tid, {
        timestamp: utc,
        http_path: path,
        status_code: status,
        execution_time_ms: executionTime,
      });
    }
  }

  private message({ where, source }: ReferenceDocument): void {
    const f = new Fields(source);
    const tid = textOf(f.take('transaction_id'));
    const facts = tid ? this.facts.get(tid) : undefined;
    const { raw, utc } = this.time(f);
    const timestamp = utc ?? facts?.timestamp ?? null;
    const entryId = referenceEntryId(tid, raw, '');
    if (this.isCopy('message', entryId)) {
      return;
    }
    if (!timestamp) {
      this.notConverted.add(
        'message',
        'no readable @timestamp, nor a logs document of its transaction',
        where,
      );
      return;
    }
    const status = this.number('message', f, 'status_code', where, true) ?? facts?.status_code ?? null;
    if (status !== null && status !== 200) {
      this.notConverted.add(
        'message',
        `status ${status}`,
        where,
        'lungcheck keeps refused calls in ml-api-logs only',
      );
      return;
    }
    const result = f.take('result');
    const r = isPlainObject(result) ? new Fields(result) : new Fields({});
    const prediction = predictionOf(r.take('prediction'));
    if (prediction === null) {
      this.notConverted.add('message', 'result.prediction is not 0/1', where, "a refused request's body?");
      return;
    }
    const probabilities = r.source.probabilities;
    const probability =
      numberOf(r.take('probability')) ?? (Array.isArray(probabilities) ? numberOf(probabilities[1]) : null);
    const rawPath = textOf(f.take('http_path'));
    this.emit('message', entryId, entryId, {
      '@timestamp': timestamp,
      entry_id: entryId,
      transaction_id: tid,
      http_path: rawPath === null ? (facts?.http_path ?? null) : canonicalPath(rawPath),
      status_code: status,
      execution_time_ms:
        this.number('message', f, 'execution_time_ms', where) ?? facts?.execution_time_ms ?? null,
      model: REFERENCE_MODEL,
      input_data: this.answers(f.take('input_data'), where),
      result: { prediction, probability, risk_level: probability === null ? null : riskLevel(probability) },
    });
    this.reportLeft('message', f, where);
    this.reportLeft('message', r, where, 'result.');
  }

  /** The 15 answers under their canonical names; other keys and unusable values are reported. */
  private answers(input: unknown, where: string): Record<InputField, number | null> {
    const renamed: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(isPlainObject(input) ? input : {})) {
      const field = referenceField(key);
      if (!field) {
        this.dropped.add('message', `input_data.${key}`, where, 'not one of the 15 answers');
      } else if (!(field in renamed)) {
        renamed[field] = value;
      }
    }
    const answers = canonicalAnswers(renamed);
    for (const [field, value] of Object.entries(renamed)) {
      if (answers[field as InputField] === null && value !== null && value !== undefined) {
        this.dropped.add('message', `input_data.${field} (not an integer)`, where);
      }
    }
    return answers;
  }

  private perfs({ where, source }: ReferenceDocument, fromLogsLine = false): void {
    const f = new Fields(source);
    const nested = f.take('performance_metrics');
    const m = new Fields(isPlainObject(nested) ? nested : {});
    // The reference's names at the top of the document, or under performance_metrics (the top one wins).
    const pick = (key: string): Fields => {
      if (f.source[key] === undefined) {
        return m;
      }
      m.take(key);
      return f;
    };
    const tid = textOf(pick('transaction_id').take('transaction_id'));
    const facts = tid ? this.facts.get(tid) : undefined;
    const { raw, utc } = this.time(f);
    const timestamp = utc ?? facts?.timestamp ?? null;
    if (!timestamp) {
      this.notConverted.add('perfs', 'no readable @timestamp, nor a logs document of its transaction', where);
      return;
    }
    const entryId = referenceEntryId(tid, raw, '');
    // A performance line is merged: it only stands in for a perfs document its transaction lacks.
    if (fromLogsLine ? this.has('perfs', entryId) : this.isCopy('perfs', entryId)) {
      return;
    }
    const metric = (key: string, integer = false): number | null =>
      this.number('perfs', pick(key), key, where, integer);
    const source_: DocumentSource = {
      '@timestamp': timestamp,
      entry_id: entryId,
      transaction_id: tid,
      http_path: facts?.http_path ?? null,
      status_code: facts?.status_code ?? null,
      model: REFERENCE_MODEL,
      inference_time_ms: metric('inference_time_ms'),
      latency_ms: facts?.execution_time_ms ?? null,
      cpu_time_ms: null,
      memory_mb: metric('memory_mb'),
      memory_delta_mb: metric('memory_delta_mb'),
      function_calls: metric('function_calls', true),
      // The reference ran one request per model run.
      batch_size: 1,
      top_functions: this.rankedFunctions(pick('top_functions').take('top_functions'), where).map(
        (row, i) => ({
          ...row,
          rank: i + 1,
        }),
      ),
    };
    this.emit('perfs', entryId, entryId, source_);
    this.reportLeft('perfs', f, where);
    this.reportLeft('perfs', m, where, fromLogsLine ? '' : 'performance_metrics.');
  }

  /** top_functions items, costliest first (rank 1), with the six known fields. */
  private rankedFunctions(items: unknown, where: string): TopFunctionRow[] {
    const rows: TopFunctionRow[] = [];
    for (const item of Array.isArray(items) ? items : []) {
      const row = isPlainObject(item)
        ? this.functionRow('perfs', new Fields(item), where, 'top_functions.')
        : null;
      if (row) {
        rows.push(row);
      } else {
        this.dropped.add('perfs', 'top_functions item without a function name', where);
      }
    }
    return byCost(rows, (r) => r);
  }

  private functionRow(kind: ReferenceKind, f: Fields, where: string, prefix = ''): TopFunctionRow | null {
    const name = textOf(f.take('function')) ?? textOf(f.take('function_name'));
    if (!name) {
      return null;
    }
    const num = (key: string, integer = false): number | null => {
      const value = f.take(key);
      const n = integer ? integerOf(value) : numberOf(value);
      if (n === null && value !== null && value !== undefined) {
        this.dropped.add(kind, `${prefix}${key} (not a number)`, where);
      }
      return n;
    };
    const row = {
      function: name,
      file: textOf(f.take('file')),
      line: num('line', true),
      calls: num('calls', true),
      total_time_ms: num('total_time_ms'),
      cumulative_time_ms: num('cumulative_time_ms') ?? num('cumulative_time'),
    };
    if (kind === 'perfs') {
      this.reportLeft(kind, f, where, prefix);
    }
    return row;
  }

  /** ml-api-top-func: per transaction, copies of a function merged, ranked by cumulative time (R1, rank). */
  private topFunctions(docs: readonly ReferenceDocument[]): void {
    const groups = new Map<
      string,
      { tid: string | null; timestamp: string; row: TopFunctionRow; where: string; fields: Fields }[]
    >();
    for (const { where, source } of docs) {
      const f = new Fields(source);
      const tid = textOf(f.take('transaction_id'));
      const { raw, utc } = this.time(f);
      const timestamp = utc ?? (tid ? this.facts.get(tid)?.timestamp : null) ?? null;
      if (!timestamp) {
        this.notConverted.add(
          'topFunc',
          'no readable @timestamp, nor a logs document of its transaction',
          where,
        );
        continue;
      }
      const row = this.functionRow('topFunc', f, where);
      if (!row) {
        this.notConverted.add('topFunc', 'no function name', where);
        continue;
      }
      const entryId = referenceEntryId(tid, raw, '');
      const group = groups.get(entryId) ?? [];
      groups.set(entryId, group);
      const copy = group.some(
        (g) => g.row.function === row.function && g.row.file === row.file && g.row.line === row.line,
      );
      if (copy) {
        this.collapsed.topFunc += 1;
      } else {
        group.push({ tid, timestamp, row, where, fields: f });
      }
    }
    for (const [entryId, group] of groups) {
      byCost(group, (g) => g.row).forEach((g, i) => {
        this.emit('topFunc', `${entryId}-${i + 1}`, entryId, {
          '@timestamp': g.timestamp,
          entry_id: entryId,
          transaction_id: g.tid,
          http_path: (g.tid ? this.facts.get(g.tid)?.http_path : null) ?? null,
          model: REFERENCE_MODEL,
          ...g.row,
          rank: i + 1,
        });
        this.reportLeft('topFunc', g.fields, g.where);
      });
    }
  }
}

/** Costliest first (by cumulative time; unknown last), ties in their original order. */
function byCost<T>(rows: readonly T[], row: (item: T) => TopFunctionRow): T[] {
  const cost = (item: T): number => row(item).cumulative_time_ms ?? Number.MIN_SAFE_INTEGER;
  return [...rows].sort((a, b) => cost(b) - cost(a));
}

const timestampOf = (source: Record<string, unknown>): unknown => source['@timestamp'] ?? source.timestamp;

/** `input_data` of ml-api-logs: survey keys renamed, other keys and every value kept (flattened, not strict). */
function renamedInput(value: unknown): Record<string, unknown> | null {
  if (!isPlainObject(value)) {
    return asObject(value);
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [referenceField(k) ?? k, v]));
}

/**
 * The metrics of a performance line the reference indexed in ml-api-logs (`{"performance_metrics": …}` as its
 * message, no HTTP method); undefined for any other document, null when its JSON cannot be read.
 */
function performanceLine(source: Record<string, unknown>): Record<string, unknown> | null | undefined {
  const message = typeof source.message === 'string' ? source.message.replace(LINE_PREFIX, '').trim() : '';
  if (!message.startsWith('{"performance_metrics"') || textOf(source.http_method)) {
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(message);
    const metrics = isPlainObject(parsed) ? parsed.performance_metrics : undefined;
    return isPlainObject(metrics) ? metrics : null;
  } catch {
    return null;
  }
}
