import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SavedObject {
  type: string;
  id: string;
  attributes: Record<string, unknown>;
  references: { type: string; id: string; name: string }[];
  [key: string]: unknown;
}

export interface KibanaRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** `_export`: the JSON body. */
  body?: { type?: string | string[]; includeReferencesDeep?: boolean };
  /** `_import`: the uploaded file's name and lines. */
  file?: { name: string; lines: string[] };
}

/**
 * A stand-in for Kibana's saved-objects API over real HTTP (port 0), enough to check what the migration tool sends:
 * `_export` (types, `includeReferencesDeep`, the export details line) and `_import` (multipart upload of an .ndjson
 * file, conflicts without `overwrite=true`, missing references). Like Kibana, it refuses a POST without `kbn-xsrf`
 * (400) and, when `authorization` is set, any request without that exact header (401).
 */
export class FakeKibana {
  readonly objects = new Map<string, SavedObject>();
  readonly requests: KibanaRequest[] = [];
  authorization?: string;
  private server?: Server;
  url = '';

  add(...objects: SavedObject[]): this {
    objects.forEach((o) => this.objects.set(`${o.type}:${o.id}`, structuredClone(o)));
    return this;
  }

  get(type: string, id: string): SavedObject | undefined {
    return this.objects.get(`${type}:${id}`);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) =>
        reply(res, 500, { statusCode: 500, message: String(error) }),
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://kibana');
    const chunks: Buffer[] = [];
    for await (const chunk of req) {
      chunks.push(chunk as Buffer);
    }
    const raw = Buffer.concat(chunks);
    const request: KibanaRequest = {
      method: req.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
    };
    this.requests.push(request);
    if (req.method === 'POST' && !req.headers['kbn-xsrf']) {
      reply(res, 400, {
        statusCode: 400,
        error: 'Bad Request',
        message: 'Request must contain a kbn-xsrf header.',
      });
      return;
    }
    if (this.authorization && req.headers.authorization !== this.authorization) {
      reply(res, 401, {
        statusCode: 401,
        error: 'Unauthorized',
        message: '[security_exception]: unable to authenticate user',
      });
      return;
    }
    if (req.method === 'POST' && url.pathname === '/api/saved_objects/_export') {
      request.body = JSON.parse(raw.toString('utf8')) as KibanaRequest['body'];
      this.export(request.body ?? {}, res);
      return;
    }
    if (req.method === 'POST' && url.pathname === '/api/saved_objects/_import') {
      await this.import(req, raw, request, url.searchParams.get('overwrite') === 'true', res);
      return;
    }
    reply(res, 404, {
      statusCode: 404,
      error: 'Not Found',
      message: `no route ${req.method} ${url.pathname}`,
    });
  }

  private export(body: NonNullable<KibanaRequest['body']>, res: ServerResponse): void {
    const types = Array.isArray(body.type) ? body.type : [body.type ?? ''];
    const picked = new Map<string, SavedObject>();
    const missing: { type: string; id: string }[] = [];
    const visit = (o: SavedObject, deep: boolean): void => {
      const key = `${o.type}:${o.id}`;
      if (picked.has(key)) {
        return;
      }
      picked.set(key, o);
      if (!deep) {
        return;
      }
      for (const ref of o.references) {
        const target = this.get(ref.type, ref.id);
        if (target) {
          visit(target, true);
        } else {
          missing.push({ type: ref.type, id: ref.id });
        }
      }
    };
    [...this.objects.values()]
      .filter((o) => types.includes(o.type))
      .forEach((o) => visit(o, body.includeReferencesDeep === true));
    const lines = [...picked.values()].map((o) => JSON.stringify(o));
    lines.push(
      JSON.stringify({
        excludedObjects: [],
        excludedObjectsCount: 0,
        exportedCount: picked.size,
        missingRefCount: missing.length,
        missingReferences: missing,
      }),
    );
    res.writeHead(200, { 'content-type': 'application/ndjson' });
    res.end(`${lines.join('\n')}\n`);
  }

  private async import(
    req: IncomingMessage,
    raw: Buffer,
    request: KibanaRequest,
    overwrite: boolean,
    res: ServerResponse,
  ): Promise<void> {
    const contentType = req.headers['content-type'] ?? '';
    if (!contentType.startsWith('multipart/form-data')) {
      reply(res, 415, {
        statusCode: 415,
        error: 'Unsupported Media Type',
        message: `not multipart: ${contentType}`,
      });
      return;
    }
    const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
    const file = form.get('file');
    if (!(file instanceof File) || !file.name.endsWith('.ndjson')) {
      reply(res, 400, { statusCode: 400, error: 'Bad Request', message: 'Invalid file extension' });
      return;
    }
    const lines = (await file.text()).split('\n').filter((l) => l.trim() !== '');
    request.file = { name: file.name, lines };
    const objects = lines
      .map((l) => JSON.parse(l) as SavedObject)
      .filter((o) => o.exportedCount === undefined);
    const inFile = new Set(objects.map((o) => `${o.type}:${o.id}`));
    const errors: Record<string, unknown>[] = [];
    let successCount = 0;
    for (const o of objects) {
      const title = typeof o.attributes?.title === 'string' ? o.attributes.title : undefined;
      const missing = o.references.filter((r) => !this.get(r.type, r.id) && !inFile.has(`${r.type}:${r.id}`));
      if (this.get(o.type, o.id) && !overwrite) {
        errors.push({ id: o.id, type: o.type, title, meta: { title }, error: { type: 'conflict' } });
      } else if (missing.length > 0) {
        errors.push({
          id: o.id,
          type: o.type,
          title,
          meta: { title },
          error: { type: 'missing_references', references: missing.map(({ type, id }) => ({ type, id })) },
        });
      } else {
        this.add(o);
        successCount += 1;
      }
    }
    reply(res, 200, { success: errors.length === 0, successCount, ...(errors.length ? { errors } : {}) });
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
