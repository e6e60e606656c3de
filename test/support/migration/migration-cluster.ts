import { errors } from '@elastic/elasticsearch';
import type { MappingTypeMapping } from '@elastic/elasticsearch/lib/api/types';
import type { MockPattern } from '@elastic/elasticsearch-mock';
import { randomUUID } from 'node:crypto';
import { MockCluster } from '../log-shipping/mock-cluster';

type Source = Record<string, unknown>;

/**
 * The shipping tests' mock cluster with what the migration tool also uses: indices.get/exists/create/delete,
 * get-mapping, refresh and count, point-in-time searches paged with `search_after` (a PIT sees the index as it was
 * when opened), and bulk `create` operations (409 when the id is taken). Indexes created with explicit mappings
 * get them checked on every bulk, like the templates' strict mappings. `unauthorized` answers every request 401.
 */
export class MigrationCluster extends MockCluster {
  /** Mappings and settings given when an index was created (an index made by a bulk write takes its template's). */
  readonly definitions = new Map<string, { mappings?: MappingTypeMapping; settings?: Source }>();
  /** Points in time still open, with the documents they see. */
  readonly pits = new Map<string, [string, Source][]>();
  pitsOpened = 0;
  searches = 0;
  unauthorized = false;

  constructor() {
    super();
    const storeBulk = this.mock.get({ method: 'POST', path: '/_bulk' });
    if (!storeBulk) {
      throw new Error('MockCluster has no bulk route to extend');
    }
    this.mock.clear({ method: ['POST', 'PUT'], path: '/_bulk' });
    this.mock.add({ method: ['POST', 'PUT'], path: '/_bulk' }, (params) =>
      this.guard(() => this.bulkWithCreate(params, storeBulk)),
    );
    // Static paths first: the mock files a route under the first existing pattern that matches its path.
    this.mock.add({ method: 'POST', path: '/_search' }, (params) => this.guard(() => this.search(params)));
    this.mock.add({ method: 'DELETE', path: '/_pit' }, (params) =>
      this.guard(() => {
        const id = (params.body as { id?: string } | null)?.id ?? '';
        const freed = this.pits.delete(id);
        return { succeeded: freed, num_freed: freed ? 1 : 0 };
      }),
    );
    this.mock.add({ method: 'GET', path: '/:index' }, (params) =>
      this.guard(() => {
        const names = this.matching(indexParam(params));
        return Object.fromEntries(names.map((name) => [name, this.state(name)]));
      }),
    );
    this.mock.add({ method: 'HEAD', path: '/:index' }, (params) =>
      this.guard(() => (this.exists(indexParam(params)) ? '' : notFound(indexParam(params)))),
    );
    this.mock.add({ method: 'PUT', path: '/:index' }, (params) =>
      this.guard(() => {
        const index = indexParam(params);
        if (this.exists(index)) {
          return responseError(400, 'resource_already_exists_exception', `index [${index}] already exists`);
        }
        const body = (params.body ?? {}) as { mappings?: MappingTypeMapping; settings?: Source };
        this.definitions.set(index, body);
        this.indices.set(index, new Map());
        if (body.mappings) {
          this.templates.set(`index:${index}`, {
            index_patterns: [index],
            template: { mappings: body.mappings },
          });
        }
        return { acknowledged: true, shards_acknowledged: true, index };
      }),
    );
    this.mock.add({ method: 'DELETE', path: '/:index' }, (params) =>
      this.guard(() => {
        const index = indexParam(params);
        if (!this.exists(index)) {
          return notFound(index);
        }
        this.indices.delete(index);
        this.definitions.delete(index);
        this.templates.delete(`index:${index}`);
        return { acknowledged: true };
      }),
    );
    this.mock.add({ method: 'GET', path: '/:index/_mapping' }, (params) =>
      this.guard(() => {
        const index = indexParam(params);
        return this.exists(index) ? { [index]: { mappings: this.mappingOf(index) } } : notFound(index);
      }),
    );
    this.mock.add({ method: ['GET', 'POST'], path: '/:index/_refresh' }, () =>
      this.guard(() => ({ _shards: { total: 1, successful: 1, failed: 0 } })),
    );
    this.mock.add({ method: ['GET', 'POST'], path: '/:index/_count' }, (params) =>
      this.guard(() => ({ count: this.matching(indexParam(params)).reduce((n, i) => n + this.count(i), 0) })),
    );
    this.mock.add({ method: 'POST', path: '/:index/_pit' }, (params) =>
      this.guard(() => {
        const index = indexParam(params);
        if (!this.exists(index)) {
          return notFound(index);
        }
        const id = `pit-${randomUUID()}`;
        this.pits.set(
          id,
          [...this.docs(index)].map(([docId, source]) => [docId, structuredClone(source)]),
        );
        this.pitsOpened += 1;
        return { id, _shards: { total: 1, successful: 1, failed: 0, skipped: 0 } };
      }),
    );
  }

  private guard(handle: () => Source | string | Error): Source | string | Error {
    if (this.down) {
      return new errors.ConnectionError('connect ECONNREFUSED 10.0.0.1:9200 (mock cluster down)');
    }
    if (this.unauthorized) {
      return responseError(
        401,
        'security_exception',
        'unable to authenticate user [elastic] for REST request [/]',
      );
    }
    return handle();
  }

  exists(index: string): boolean {
    return this.indices.has(index);
  }

  private matching(pattern: string): string[] {
    const globs = pattern.split(',').map((p) => new RegExp(`^${p.split('*').map(escape).join('.*')}$`));
    return [...this.indices.keys()].filter((name) => globs.some((g) => g.test(name))).sort();
  }

  private mappingOf(index: string): MappingTypeMapping {
    const explicit = this.definitions.get(index)?.mappings;
    const template = [...this.templates.values()].find((t) => t.index_patterns.includes(index));
    return explicit ?? template?.template?.mappings ?? { properties: {} };
  }

  /** What GET /<index> answers: the settings carry this copy's own (uuid, creation_date…) as Elasticsearch's do. */
  private state(index: string): Source {
    const own = (this.definitions.get(index)?.settings?.index ?? {}) as Source;
    return {
      aliases: {},
      mappings: this.mappingOf(index),
      settings: {
        index: {
          number_of_shards: '1',
          number_of_replicas: '1',
          ...own,
          uuid: randomUUID(),
          creation_date: String(Date.now()),
          provided_name: index,
          version: { created: '8512000' },
          routing: { allocation: { include: { _tier_preference: 'data_content' } } },
        },
      },
    };
  }

  private search(params: MockPattern): Source | Error {
    this.searches += 1;
    const body = params.body as { pit?: { id: string }; size?: number; search_after?: number[] };
    const docs = body.pit ? this.pits.get(body.pit.id) : undefined;
    if (!docs) {
      return responseError(404, 'search_context_missing_exception', 'No search context found for id');
    }
    const from = body.search_after ? (body.search_after[0] ?? 0) + 1 : 0;
    const page = docs.slice(from, from + (body.size ?? 10));
    return {
      pit_id: body.pit?.id,
      took: 1,
      timed_out: false,
      hits: {
        total: { value: docs.length, relation: 'eq' },
        hits: page.map(([id, source], i) => ({ _index: 'pit', _id: id, _source: source, sort: [from + i] })),
      },
    };
  }

  private bulkWithCreate(params: MockPattern, storeBulk: (params: MockPattern) => unknown): Source | Error {
    const lines = params.body as Source[];
    const items: Source[] = [];
    const passed: Source[] = [];
    const positions: { at: number; op: string }[] = [];
    for (let i = 0; i < lines.length; i += 2) {
      const action = lines[i] as Record<string, { _index: string; _id: string }>;
      const op = Object.keys(action)[0] ?? 'index';
      const meta = action[op]!;
      if (op === 'create' && this.docs(meta._index).has(meta._id)) {
        items[i / 2] = {
          create: {
            _index: meta._index,
            _id: meta._id,
            status: 409,
            error: {
              type: 'version_conflict_engine_exception',
              reason: `[${meta._id}]: version conflict, document already exists`,
            },
          },
        };
      } else {
        positions.push({ at: i / 2, op });
        passed.push({ index: { _index: meta._index, _id: meta._id } }, lines[i + 1] ?? {});
      }
    }
    if (passed.length > 0) {
      const stored = storeBulk({ ...params, body: passed });
      if (stored instanceof Error) {
        return stored;
      }
      (stored as { items: { index: Source }[] }).items.forEach((item, j) => {
        const { at, op } = positions[j]!;
        items[at] = { [op]: item.index };
      });
    }
    const errorsFound = items.some(
      (item) => Number((Object.values(item)[0] as { status: number }).status) >= 300,
    );
    return { took: 1, errors: errorsFound, items };
  }
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function indexParam(params: MockPattern): string {
  return decodeURIComponent(String(params.path).split('/')[1] ?? '');
}

function responseError(status: number, type: string, reason: string): errors.ResponseError {
  return new errors.ResponseError({
    body: { error: { type, reason, root_cause: [{ type, reason }] }, status },
    statusCode: status,
    headers: {},
    warnings: null,
    meta: {} as never,
  });
}

const notFound = (index: string): errors.ResponseError =>
  responseError(404, 'index_not_found_exception', `no such index [${index}]`);
