import { Agent, createServer, request, type Server } from 'node:http';
import type { Request, Response } from 'express';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { closeConnectionsWhenShuttingDown, HttpConnections, IDLE_GRACE_MS } from './graceful-shutdown';
import { ShutdownState } from './shutdown-state';

interface Answer {
  status?: number;
  closing?: boolean;
  error?: string;
}

/** GET `path` through `agent`; never rejects: a request without an answer has `error`. */
function get(port: number, path: string, agent: Agent): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, closing: res.headers.connection === 'close' }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end();
  });
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe(HttpConnections.name, () => {
  let server: Server;
  let connections: HttpConnections;
  let port: number;
  let agent: Agent;
  /** When each server-side socket closed, in order of connection. */
  let closedAt: Promise<number>[];
  let state: ShutdownState;

  beforeEach(async () => {
    state = new ShutdownState();
    const closing = closeConnectionsWhenShuttingDown(state);
    // As the application does: the middleware first; then `/slow` answers after 300 ms, `/hang` never, others at once.
    server = createServer((req, res) => {
      closing(req as Request, res as Response, () => undefined);
      if (req.url === '/hang') {
        return;
      }
      setTimeout(() => res.end('ok'), req.url === '/slow' ? 300 : 0);
    });
    connections = new HttpConnections(server, state);
    closedAt = [];
    server.on('connection', (socket: Socket) => {
      closedAt.push(new Promise((resolve) => socket.on('close', () => resolve(Date.now()))));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    agent = new Agent({ keepAlive: true, maxSockets: 1 });
  });
  afterEach(() => {
    agent.destroy();
    server.closeAllConnections();
    server.close();
  });

  it('refuses new connections and ends the answer in progress with Connection: close', async () => {
    const slow = get(port, '/slow', agent);
    await pause(50);
    const drained = connections.drain(5000);
    await pause(20);
    expect(await get(port, '/', new Agent())).toEqual({ error: 'ECONNREFUSED' });
    expect(await slow).toEqual({ status: 200, closing: true });
    expect(await drained).toMatchObject({ outcome: 'drained', closedAfterAnswer: 1, closedIdle: 0, cut: 0 });
  });

  it('accepts and answers the connections the kernel had queued when the drain began', async () => {
    const queued = get(port, '/', new Agent());
    let drained: ReturnType<HttpConnections['drain']> | undefined;
    // Once the client has connected (on the next tick), the signal comes while this process is busy: the kernel
    // completes the handshake and queues the connection, which the server has not accepted yet.
    process.nextTick(() => {
      const until = Date.now() + 50;
      while (Date.now() < until) {
        // busy, as a loaded event loop is
      }
      drained = connections.drain(5000);
    });
    expect(await queued).toEqual({ status: 200, closing: true });
    expect(await drained).toMatchObject({ outcome: 'drained', closedAfterAnswer: 1 });
  });

  it('refuses, and never resets, clients that reconnect after their Connection: close answer', async () => {
    const answers: Answer[][] = [[], [], [], [], []];
    const clients = answers.map(async (answered) => {
      const own = new Agent({ keepAlive: true, maxSockets: 1 });
      for (let i = 0; i < 10_000; i += 1) {
        const answer = await get(port, '/', own);
        answered.push(answer);
        if (answer.error) {
          break;
        }
      }
      own.destroy();
    });
    await pause(100);
    const drained = connections.drain(5000);
    await Promise.all(clients);
    for (const answered of answers) {
      expect(answered.slice(-2)).toEqual([{ status: 200, closing: true }, { error: 'ECONNREFUSED' }]);
    }
    expect(await drained).toMatchObject({ outcome: 'drained', closedAfterAnswer: 5, closedIdle: 0, cut: 0 });
  });

  it('answers a request sent on an idle keep-alive connection after the drain began, instead of resetting it', async () => {
    expect(await get(port, '/', agent)).toEqual({ status: 200, closing: false });
    const drained = connections.drain(5000);
    await pause(IDLE_GRACE_MS / 4);
    expect(await get(port, '/', agent)).toEqual({ status: 200, closing: true });
    const drain = await drained;
    expect(drain).toMatchObject({ outcome: 'drained', closedAfterAnswer: 1, closedIdle: 0 });
    expect(drain.longestWaitMs).toBeGreaterThanOrEqual(IDLE_GRACE_MS / 4);
  });

  it('closes a keep-alive connection once it has been idle for IDLE_GRACE_MS, not before', async () => {
    expect(await get(port, '/', agent)).toEqual({ status: 200, closing: false });
    const answeredAt = Date.now();
    const drain = await connections.drain(5000);
    expect(drain).toMatchObject({ outcome: 'drained', closedAfterAnswer: 0, closedIdle: 1, cut: 0 });
    expect((await closedAt[0]) - answeredAt).toBeGreaterThanOrEqual(IDLE_GRACE_MS);
  });

  it('keeps a connection whose request headers are still arriving, then answers it', async () => {
    const socket = connect({ port, host: '127.0.0.1' });
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
    const drained = connections.drain(10_000);
    // A byte every quarter of the grace, for twice the grace: never idle for long, never closed.
    for (let i = 0; i < 8; i += 1) {
      await pause(IDLE_GRACE_MS / 4);
      socket.write('a');
    }
    socket.write('\r\n\r\n');
    await new Promise((resolve) => socket.once('close', resolve));
    expect(received).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*Connection: close\r\n/);
    expect(await drained).toMatchObject({ outcome: 'drained', closedIdle: 0, cut: 0 });
  });

  it('cuts what is still open at the deadline', async () => {
    const hanging = get(port, '/hang', agent);
    await pause(50);
    expect(await connections.drain(200)).toMatchObject({ outcome: 'timed out', cut: 1 });
    expect(await hanging).toEqual({ error: 'ECONNRESET' });
  });
});
