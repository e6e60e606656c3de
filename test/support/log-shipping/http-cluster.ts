import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type Source = Record<string, unknown>;

/**
 * A stand-in for Elasticsearch over real HTTP, for tests that run the service in processes of their own (the
 * in-process mock cluster cannot be shared between processes). It answers what the shipper uses: index templates
 * and `_bulk` with `index` operations, stored by index and id. Each process is told a node URL with a path of its
 * own (`http://host:port/<client>`), so the cluster knows which process stored what. A client can be made to hang:
 * its bulk requests are stored, and never answered.
 */
export class HttpCluster {
  /** `<index>/<id>` → the clients that stored it, in order. */
  readonly writers = new Map<string, string[]>();
  readonly docs = new Map<string, Map<string, Source>>();
  /** Clients whose bulk requests are stored but never answered. */
  readonly hanging = new Set<string>();
  /** Bulk requests received per client. */
  readonly bulks = new Map<string, number>();
  private readonly held: ServerResponse[] = [];
  private server?: Server;
  private port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => this.reply(res, 500, { error: String(error) }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** The node URL a client (a process) is given. */
  nodeFor(client: string): string {
    return `http://127.0.0.1:${this.port}/${client}`;
  }

  count(index: string): number {
    return this.docs.get(index)?.size ?? 0;
  }

  async stop(): Promise<void> {
    this.held.forEach((res) => res.destroy());
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const [, client, ...rest] = (req.url ?? '/').split('?')[0].split('/');
    const path = `/${rest.join('/')}`;
    const body = await new Promise<string>((resolve) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => resolve(text));
    });
    if (req.method === 'PUT' && path.startsWith('/_index_template/')) {
      this.reply(res, 200, { acknowledged: true });
      return;
    }
    if ((req.method === 'POST' || req.method === 'PUT') && path === '/_bulk') {
      this.bulks.set(client, (this.bulks.get(client) ?? 0) + 1);
      const lines = body
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Source);
      const items: Source[] = [];
      for (let i = 0; i < lines.length; i += 2) {
        const { _index: index, _id: id } = (lines[i] as { index: { _index: string; _id: string } }).index;
        const docs = this.docs.get(index) ?? new Map<string, Source>();
        this.docs.set(index, docs);
        docs.set(id, lines[i + 1]);
        const key = `${index}/${id}`;
        this.writers.set(key, [...(this.writers.get(key) ?? []), client]);
        items.push({ index: { _index: index, _id: id, status: 201, result: 'created' } });
      }
      if (this.hanging.has(client)) {
        this.held.push(res);
        return;
      }
      this.reply(res, 200, { took: 1, errors: false, items });
      return;
    }
    this.reply(res, 404, { error: `no route for ${req.method} ${path}` });
  }

  private reply(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
    res.end(JSON.stringify(body));
  }
}
