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
 * take it down (every request fails to connect) or fail chosen bulk items.
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
  /** While true, every request fails as if the cluster could not be reached. */
  down = false;
  /** Decides, per bulk operation, to fail it (e.g. 429 or 503) instead of storing it. */
  failItem: (op: BulkOp) => ItemFailure | undefined = () => undefined;
  /** Called with every bulk request's operations before they are applied. */
  onBulk: (ops: BulkOp[]) => void = () => undefined;

  constructor() {
    const unreachable = () =>
      new errors.ConnectionError('connect ECONNREFUSED 10.0.0.1:9200 (mock cluster down)');
    this.mock.add({ method: 'PUT', path: '/_index_template/:name' }, (params) => {
      if (this.down) {
        return unreachable();
      }
      this.templatePuts += 1;
      const name = decodeURIComponent(params.path.toString().split('/').pop() ?? '');
      this.templates.set(name, params.body as never);
      return { acknowledged: true };
    });
    this.mock.add({ method: ['POST', 'PUT'], path: '/_bulk' }, (params) => {
      if (this.down) {
        return unreachable();
      }
      this.bulkRequests += 1;
      return this.bulk(params.body as Source[]);
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

  private bulk(lines: Source[]): Source {
    const ops: BulkOp[] = [];
    for (let i = 0; i < lines.length; i += 2) {
      const action = lines[i] as { index?: { _index: string; _id: string } };
      if (!action.index) {
        throw new Error(`mock cluster: only index operations are expected, got ${JSON.stringify(action)}`);
      }
      ops.push({ index: action.index._index, id: action.index._id, source: lines[i + 1] ?? {} });
    }
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
  switch (type) {
    case 'keyword':
    case 'text':
      return typeof value === 'object' ? bad() : undefined;
    case 'integer':
      return Number.isInteger(typeof value === 'string' ? Number(value) : value) ? undefined : bad();
    case 'float':
      return Number.isFinite(typeof value === 'string' ? Number(value) : value) ? undefined : bad();
    case 'date':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? undefined : bad();
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
