import { type INestApplication, Logger } from '@nestjs/common';
import { Agent, createServer, request, type Server } from 'node:http';
import type { Request, Response } from 'express';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { RecordingLogger } from '../../test/support/recording-logger';
import { waitFor } from '../../test/support/wait-for';
import {
  closeConnectionsWhenShuttingDown,
  enableGracefulShutdown,
  HttpConnections,
  IDLE_GRACE_MS,
} from './graceful-shutdown';
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
    // As the application does: the middleware first; then `/slow` answers after 300 ms, `/hang` never, `/stream`
    // sends its headers and a first chunk at once and ends after 300 ms, others answer at once.
    server = createServer((req, res) => {
      closing(req as Request, res as Response, () => undefined);
      if (req.url === '/hang') {
        return;
      }
      if (req.url === '/stream') {
        res.write('first');
        setTimeout(() => res.end('last'), 300);
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

  it('fails readiness as it stops accepting, before the answers in progress have ended', async () => {
    const slow = get(port, '/slow', agent);
    await pause(50);
    expect(state.shuttingDown).toBe(false);
    const drained = connections.drain(5000);
    await pause(20);
    expect(state.shuttingDown).toBe(true);
    expect(await get(port, '/', new Agent())).toEqual({ error: 'ECONNREFUSED' });
    expect(await slow).toEqual({ status: 200, closing: true });
    await drained;
    expect(state.shuttingDown).toBe(true);
  });

  it('leaves an answer whose headers are already sent as it is, and closes its connection once idle', async () => {
    const streaming = get(port, '/stream', agent);
    await pause(50);
    const drained = connections.drain(5000);
    expect(await streaming).toEqual({ status: 200, closing: false });
    expect(await drained).toMatchObject({ outcome: 'drained', closedAfterAnswer: 0, closedIdle: 1, cut: 0 });
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

describe(enableGracefulShutdown.name, () => {
  let server: Server;
  let port: number;
  let state: ShutdownState;
  let logs: RecordingLogger;
  /** The signal handlers it registered, called here instead of by a signal (which would reach Jest too). */
  let handlers: Map<string, () => void>;
  let exits: number[];
  let closed: number;

  beforeEach(async () => {
    state = new ShutdownState();
    logs = new RecordingLogger();
    Logger.overrideLogger(logs);
    handlers = new Map();
    exits = [];
    closed = 0;
    jest.spyOn(process, 'on').mockImplementation(((signal: string, handler: () => void) => {
      handlers.set(signal, handler);
      return process;
    }) as typeof process.on);
    jest.spyOn(process, 'exit').mockImplementation(((code: number) => {
      exits.push(code);
    }) as typeof process.exit);
    server = createServer((req, res) => {
      if (req.url === '/hang') {
        return;
      }
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(() => {
    jest.restoreAllMocks();
    server.closeAllConnections();
    server.close();
  });

  const app = (close: () => Promise<void> = () => Promise.resolve(void closed++)): INestApplication =>
    ({ getHttpServer: () => server, get: () => state, close }) as unknown as INestApplication;

  it('on SIGTERM or SIGINT: fails readiness, drains, closes the application, then exits 0', async () => {
    enableGracefulShutdown(app(), 5000);
    expect([...handlers.keys()]).toEqual(['SIGTERM', 'SIGINT']);
    handlers.get('SIGTERM')!();
    await waitFor('the exit', () => exits.length > 0);
    expect(state.shuttingDown).toBe(true);
    expect(closed).toBe(1);
    expect(exits).toEqual([0]);
    expect(logs.lines).toEqual([
      'log: SIGTERM: not ready any more, finishing the requests in progress (up to 5000 ms)',
      expect.stringMatching(
        new RegExp(
          `^log: Drained: 0 connections closed after an answer with Connection: close or by their client, 0 closed ` +
            `idle after ${IDLE_GRACE_MS} ms, 0 cut, in \\d+ ms; the longest a connection waited idle for its next ` +
            `request: 0 ms$`,
        ),
      ),
      'log: Stopped',
    ]);
  });

  it('says so when requests were cut at SHUTDOWN_TIMEOUT_MS', async () => {
    enableGracefulShutdown(app(), 200);
    const hanging = get(port, '/hang', new Agent());
    await pause(50);
    handlers.get('SIGINT')!();
    await waitFor('the exit', () => exits.length > 0);
    expect(await hanging).toEqual({ error: 'ECONNRESET' });
    expect(logs.lines).toContainEqual(expect.stringMatching(/^log: Drained: .*, 1 cut, in \d+ ms;/));
    expect(logs.lines).toContain(
      'warn: Requests still running after 200 ms (SHUTDOWN_TIMEOUT_MS) were cut off',
    );
    expect(exits).toEqual([0]);
  });

  it('exits 1 at once on a second signal', async () => {
    enableGracefulShutdown(app(), 5000);
    handlers.get('SIGTERM')!();
    handlers.get('SIGINT')!();
    // process.exit does not return; here it does, so the first shutdown goes on to its end.
    expect(exits).toEqual([1]);
    expect(logs.lines).toContain('warn: SIGINT again: exiting at once');
    await waitFor('the first shutdown to end', () => exits.includes(0));
  });

  it('exits 1, saying why, when closing the application fails', async () => {
    enableGracefulShutdown(
      app(() => Promise.reject(new Error('flush failed'))),
      5000,
    );
    handlers.get('SIGTERM')!();
    await waitFor('the exit', () => exits.length > 0);
    expect(exits).toEqual([1]);
    expect(logs.lines.at(-1)).toBe('error: Shutdown failed: flush failed');
    expect(logs.lines).not.toContain('log: Stopped');
  });
});
