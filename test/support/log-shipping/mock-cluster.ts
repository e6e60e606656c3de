import { Client, errors } from '@elastic/elasticsearch';
import type { MappingProperty, MappingTypeMapping } from '@elastic/elasticsearch/lib/api/types';
import Mock from '@elastic/elasticsearch-mock';

type Source = Record<string, unknown>;

export interface ItemFailure {
  status: number;
  type: string;
  reason: string;
}

export interface BulkOp {
  index: string;
  id: string;
  source: Source;
}

/**
 * A small in-memory "cluster" behind @elastic/elasticsearch-mock, so the real client runs against it: index
 * templates are stored, bulk `index` operations store documents by index and id (a second write of an id
 * overwrites, as Elasticsearch does) and are checked against the strict mappings of the installed templates (an
 * unknown field or a value of the wrong type is refused with a 400 item, like a real mapping error). Tests can
 * take it down (every request fails to connect) or fail chosen bulk items. `PUT <index>/_mapping` adds fields to an
 * index created with explicit mappings (kept as the template `index:<name>`, as MigrationCluster does).
 */
export class MockCluster {
  static readonly NODE = 'http://es.mock:9200';

  readonly mock = new Mock();
  readonly templates = new Map<
    string,
    { index_patterns: string[]; template?: { mappings?: MappingTypeMapping } }
  >();
  readonly indices = new Map<string, Map<string, Source>>();
  /** `<index>/<id>` → how many times it was written (successfully). */
  readonly writes = new Map<string, number>();
  bulkRequests = 0;
  templatePuts = 0;
  /** `PUT <index>/_mapping` requests, in order: the fields added to existing indexes. */
  readonly mappingPuts: { index: string; properties: Record<string, MappingProperty> }[] = [];
  /** While true, every request fails as if the cluster could not be reached. */
  down = false;
  /** While true, every request is answered 503, as a cluster without a master or in a rolling restart does. */
  unavailable = false;
  /** Decides, per bulk operation, to fail it (e.g. 429 or 503) instead of storing it. */
  failItem: (op: BulkOp) => ItemFailure | undefined = () => undefined;
  /** Called with every bulk request's operations before they are applied. */
  onBulk: (ops: BulkOp[]) => void = () => undefined;
  /** Decides, per bulk request, to fail it as a whole as if the cluster could not be reached. */
  failBulk: (ops: BulkOp[]) => boolean = () => false;

  constructor() {
    const unreachable = () =>
      new errors.ConnectionError('connect ECONNREFUSED 10.0.0.1:9200 (mock cluster down)');
    const failure = () =>
      this.down
        ? unreachable()
        : this.unavailable
          ? new errors.ResponseError({
              body: { error: { type: 'master_not_discovered_exception', reason: 'no master' }, status: 503 },
              statusCode: 503,
              headers: {},
              warnings: null,
              meta: {} as never,
            })
          : undefined;
    this.mock.add({ method: 'PUT', path: '/_index_template/:name' }, (params) => {
      const failed = failure();
      if (failed) {
        return failed;
      }
      this.templatePuts += 1;
      const name = decodeURIComponent(params.path.toString().split('/').pop() ?? '');
      this.templates.set(name, params.body as never);
      return { acknowledged: true };
    });
    this.mock.add({ method: ['POST', 'PUT'], path: '/_bulk' }, (params) => {
      const failed = failure();
      if (failed) {
        return failed;
      }
      this.bulkRequests += 1;
      const ops = operations(params.body as Source[]);
      return this.failBulk(ops) ? unreachable() : this.bulk(ops);
    });
    this.mock.add({ method: 'PUT', path: '/:index/_mapping' }, (params) => {
      const failed = failure();
      if (failed) {
        return failed;
      }
      const index = decodeURIComponent(params.path.toString().split('/')[1] ?? '');
      const properties = ((params.body as MappingTypeMapping | null)?.properties ?? {}) as Record<
        string,
        MappingProperty
      >;
      this.mappingPuts.push({ index, properties });
      const mappings = this.templates.get(`index:${index}`)?.template?.mappings;
      if (!mappings) {
        return responseError(404, 'index_not_found_exception', `no such index [${index}]`);
      }
      const conflict = mergeProperties(mappings, properties, '');
      return conflict ? responseError(400, 'illegal_argument_exception', conflict) : { acknowledged: true };
    });
  }

  client(): Client {
    return new Client({ node: MockCluster.NODE, Connection: this.mock.getConnection(), maxRetries: 0 });
  }

  docs(index: string): Map<string, Source> {
    return this.indices.get(index) ?? new Map();
  }

  count(index: string): number {
    return this.docs(index).size;
  }

  /** Ids written more than once (re-shipped: harmless overwrites, but worth knowing). */
  rewritten(): string[] {
    return [...this.writes].filter(([, n]) => n > 1).map(([key]) => key);
  }

  private bulk(ops: BulkOp[]): Source {
    this.onBulk(ops);
    const items = ops.map((op) => {
      const failure = this.failItem(op) ?? this.mappingError(op);
      if (failure) {
        return {
          index: {
            _index: op.index,
            _id: op.id,
            status: failure.status,
            error: { type: failure.type, reason: failure.reason },
          },
        };
      }
      const docs = this.indices.get(op.index) ?? new Map<string, Source>();
      this.indices.set(op.index, docs);
      const created = !docs.has(op.id);
      docs.set(op.id, op.source);
      const key = `${op.index}/${op.id}`;
      this.writes.set(key, (this.writes.get(key) ?? 0) + 1);
      return {
        index: {
          _index: op.index,
          _id: op.id,
          status: created ? 201 : 200,
          result: created ? 'created' : 'updated',
        },
      };
    });
    return { took: 1, errors: items.some((i) => i.index.status >= 300), items };
  }

  private mappingError(op: BulkOp): ItemFailure | undefined {
    const template = [...this.templates.values()].find((t) =>
      t.index_patterns.some((p) => (p.endsWith('*') ? op.index.startsWith(p.slice(0, -1)) : op.index === p)),
    );
    const mappings = template?.template?.mappings;
    return mappings ? checkObject(op.source, mappings, '') : undefined;
  }
}

function responseError(status: number, type: string, reason: string): errors.ResponseError {
  return new errors.ResponseError({
    body: { error: { type, reason }, status },
    statusCode: status,
    headers: {},
    warnings: null,
    meta: {} as never,
  });
}

/**
 * Adds `properties` to a mapping in place, as `PUT <index>/_mapping` does: new fields are added, objects are merged
 * field by field, and a field given another type is a conflict (its message returned, nothing changed after it).
 */
function mergeProperties(
  mapping: MappingTypeMapping | MappingProperty,
  properties: Record<string, MappingProperty>,
  prefix: string,
): string | undefined {
  const target = mapping as { properties?: Record<string, MappingProperty> };
  target.properties ??= {};
  for (const [name, property] of Object.entries(properties)) {
    const held = target.properties[name];
    if (!held) {
      target.properties[name] = structuredClone(property);
      continue;
    }
    const typeOf = (p: MappingProperty): string => ('type' in p && p.type ? p.type : 'object');
    if (typeOf(held) !== typeOf(property)) {
      return `can't merge a ${typeOf(property)} mapping [${prefix}${name}] with a ${typeOf(held)} mapping`;
    }
    const inner = 'properties' in property ? property.properties : undefined;
    if (inner) {
      const conflict = mergeProperties(held, inner, `${prefix}${name}.`);
      if (conflict) {
        return conflict;
      }
    }
  }
  return undefined;
}

/** The operations of a bulk body (action and source lines). */
function operations(lines: Source[]): BulkOp[] {
  const ops: BulkOp[] = [];
  for (let i = 0; i < lines.length; i += 2) {
    const action = lines[i] as { index?: { _index: string; _id: string } };
    if (!action.index) {
      throw new Error(`mock cluster: only index operations are expected, got ${JSON.stringify(action)}`);
    }
    ops.push({ index: action.index._index, id: action.index._id, source: lines[i + 1] ?? {} });
  }
  return ops;
}

const failure = (type: string, reason: string): ItemFailure => ({ status: 400, type, reason });

function checkObject(
  value: Source,
  mapping: MappingTypeMapping | MappingProperty,
  prefix: string,
): ItemFailure | undefined {
  const properties = ('properties' in mapping ? mapping.properties : undefined) ?? {};
  const strict = 'dynamic' in mapping && mapping.dynamic === 'strict';
  for (const [key, field] of Object.entries(value)) {
    const path = `${prefix}${key}`;
    const property = properties[key];
    if (!property) {
      if (strict) {
        return failure(
          'strict_dynamic_mapping_exception',
          `[1:2] mapping set to strict, dynamic introduction of [${key}] within [${prefix.slice(0, -1) || '_doc'}] is not allowed`,
        );
      }
      continue;
    }
    const error = checkField(field, property, path);
    if (error) {
      return error;
    }
  }
  return undefined;
}

/** `strict_date_optional_time`, Elasticsearch's default date format beside `epoch_millis`. */
const STRICT_DATE_OPTIONAL_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

function isElasticsearchDate(value: unknown): boolean {
  if (typeof value === 'number') {
    return Number.isInteger(value);
  }
  if (typeof value !== 'string') {
    return false;
  }
  if (/^-?\d+$/.test(value)) {
    return true;
  }
  const m = STRICT_DATE_OPTIONAL_TIME.exec(value);
  if (!m) {
    return false;
  }
  const [month, day, hour = 0, minute = 0, second = 0] = m.slice(2).map((part) => Number(part ?? 0));
  return month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 59;
}

/** A number, or a string Elasticsearch coerces to one (`"5"`, `" 5.5 "`), as numeric fields accept by default. */
const numeric = (value: unknown): number | undefined => {
  if (typeof value === 'number') {
    return value;
  }
  return typeof value === 'string' && value.trim() !== '' ? Number(value) : undefined;
};

const INTEGER_MAX = 2 ** 31 - 1;

/**
 * One value against its field mapping, with Elasticsearch's documented coercion (`coerce: true` by default): numeric
 * strings and floats are accepted by integer fields (truncated), any scalar by keyword fields, arrays of values by
 * every field, and dates in `strict_date_optional_time` or `epoch_millis`. What only a real cluster can confirm is
 * listed in test/contract/log-shipping.contract-spec.ts.
 */
function checkField(value: unknown, property: MappingProperty, path: string): ItemFailure | undefined {
  if (value === null || value === undefined) {
    return undefined;
  }
  const type = 'type' in property ? property.type : 'object';
  const bad = () =>
    failure(
      'document_parsing_exception',
      `[1:1] failed to parse field [${path}] of type [${type}] in document`,
    );
  if (Array.isArray(value) && type !== 'nested' && type !== 'object' && type !== 'flattened') {
    for (const item of value) {
      const error = checkField(item, property, path);
      if (error) {
        return error;
      }
    }
    return undefined;
  }
  switch (type) {
    case 'keyword':
    case 'text':
      return typeof value === 'object' ? bad() : undefined;
    case 'integer': {
      const n = numeric(value);
      return n !== undefined && Number.isFinite(n) && Math.abs(Math.trunc(n)) <= INTEGER_MAX
        ? undefined
        : bad();
    }
    case 'float': {
      const n = numeric(value);
      return n !== undefined && Number.isFinite(n) ? undefined : bad();
    }
    case 'date':
      return isElasticsearchDate(value) ? undefined : bad();
    case 'flattened':
      return typeof value === 'object' ? undefined : bad();
    case 'nested':
    case 'object': {
      if ('enabled' in property && property.enabled === false) {
        return undefined;
      }
      const values = Array.isArray(value) ? value : [value];
      for (const v of values) {
        if (typeof v !== 'object' || v === null) {
          return bad();
        }
        const error = checkObject(v as Source, property, `${path}.`);
        if (error) {
          return error;
        }
      }
      return undefined;
    }
    default:
      return undefined;
  }
}
