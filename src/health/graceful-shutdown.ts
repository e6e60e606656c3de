import { type INestApplication, Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { ShutdownState } from './shutdown-state';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * How long a keep-alive connection must have been idle (no answer in progress, no byte received) before shutdown
 * closes it. Closing a connection on which a request is on its way resets that request, so only a connection that
 * cannot be carrying one is closed: a client that sends back to back has its next request in one round trip and its
 * own turnaround after the previous answer. In 50 runs of test/integration/shutdown-under-load.int-spec.ts on a
 * loaded machine, the longest wait of a connection for its next request was 159 ms; a second leaves room for a round
 * trip across the world on top. A client idle for longer races the close as it would race the keep-alive timeout.
 */
export const IDLE_GRACE_MS = 1000;
/** How often shutdown looks for connections idle past the grace: they close at most this much after it. */
const SWEEP_INTERVAL_MS = 100;

/** `Connection: close` on every answer once shutdown has begun: keep-alive clients open a new connection elsewhere. */
export function closeConnectionsWhenShuttingDown(state: ShutdownState) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    if (state.shuttingDown) {
      res.setHeader('Connection', 'close');
    }
    next();
  };
}

/** What became of the connections open when shutdown began. */
export interface DrainReport {
  outcome: 'drained' | 'timed out';
  ms: number;
  /** Closed after an answer that said `Connection: close`, or by their client. */
  closedAfterAnswer: number;
  /** Closed by the server after IDLE_GRACE_MS without a request. */
  closedIdle: number;
  /** Still open at the deadline, and cut. */
  cut: number;
  /**
   * The longest a connection waited idle, from its last answer, for a request that came during the drain: how close
   * a client came to IDLE_GRACE_MS.
   */
  longestWaitMs: number;
}

interface Connection {
  /** Answers in progress on it (more than one only when a client pipelines). */
  answers: Set<ServerResponse>;
  /** When its last answer ended, or it was accepted. */
  answeredAt: number;
  /** Since when it has had no answer in progress and received no byte. */
  idleSince: number;
  bytesRead: number;
}

/** Resolves after the event loop's next poll (one setImmediate is not enough from the poll phase, where signals come). */
function afterNextPoll(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

/**
 * The server's connections and whether each may be carrying a request, followed from the first one so that shutdown
 * knows them all. A request whose headers are still arriving shows in the bytes read before Node announces it.
 */
export class HttpConnections {
  private readonly connections = new Map<Socket, Connection>();
  /** Connections accepted since the server started. */
  private accepted = 0;
  private longestWaitMs = 0;

  constructor(
    private readonly server: Server,
    private readonly state: ShutdownState,
  ) {
    server.on('connection', (socket: Socket) => {
      this.accepted += 1;
      const now = Date.now();
      this.connections.set(socket, { answers: new Set(), answeredAt: now, idleSince: now, bytesRead: 0 });
      socket.once('close', () => this.connections.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const connection = this.connections.get(req.socket);
      if (!connection) {
        return;
      }
      if (this.state.shuttingDown && connection.answers.size === 0) {
        this.longestWaitMs = Math.max(this.longestWaitMs, Date.now() - connection.answeredAt);
      }
      connection.answers.add(res);
      res.once('close', () => {
        connection.answers.delete(res);
        connection.answeredAt = connection.idleSince = Date.now();
        connection.bytesRead = req.socket.bytesRead;
      });
    });
  }

  /**
   * Shuts the server down without resetting a request, in this order:
   * 1. the connections the kernel has already queued are accepted (after the event loop's next poll): closing the
   *    listener would reset them, and under load clients that connected before the signal can still wait there;
   * 2. at once, readiness fails, the listener closes (new connections are refused) and answers not yet begun say
   *    `Connection: close`, as every later one does (closeConnectionsWhenShuttingDown); a client closes its
   *    connection after such an answer, and reconnecting it finds no listener;
   * 3. a connection idle for IDLE_GRACE_MS is closed by the server; one carrying a request never is;
   * 4. whatever is still open after `timeoutMs` is cut.
   * Node's `server.close()` is not used: since Node 19 it closes idle connections at once, resetting requests already
   * on their way (10 and 30 resets in two series of 10 runs of shutdown-under-load.int-spec.ts).
   */
  async drain(timeoutMs: number): Promise<DrainReport> {
    await afterNextPoll();
    const start = Date.now();
    const closedBefore = this.accepted - this.connections.size;
    this.longestWaitMs = 0;
    let closedIdle = 0;
    let finished = false;
    return new Promise((resolve) => {
      const finish = (outcome: DrainReport['outcome'], cut: number): void => {
        if (finished) {
          return;
        }
        finished = true;
        clearInterval(sweeper);
        clearTimeout(deadline);
        const closedAfterAnswer = this.accepted - closedBefore - closedIdle - cut;
        const { longestWaitMs } = this;
        resolve({ outcome, ms: Date.now() - start, closedAfterAnswer, closedIdle, cut, longestWaitMs });
      };
      const sweep = (): void => {
        const now = Date.now();
        for (const [socket, connection] of this.connections) {
          if (connection.answers.size > 0) {
            continue;
          }
          if (socket.bytesRead !== connection.bytesRead) {
            connection.bytesRead = socket.bytesRead;
            connection.idleSince = now;
          } else if (now - connection.idleSince >= IDLE_GRACE_MS) {
            closedIdle += 1;
            socket.destroy();
          }
        }
      };
      const sweeper = setInterval(sweep, SWEEP_INTERVAL_MS);
      const deadline = setTimeout(() => {
        const cut = this.connections.size;
        this.server.closeAllConnections();
        finish('timed out', cut);
      }, timeoutMs);

      this.state.begin();
      NetServer.prototype.close.call(this.server, () => finish('drained', 0));
      for (const { answers } of this.connections.values()) {
        for (const res of answers) {
          if (!res.headersSent) {
            res.setHeader('Connection', 'close');
          }
        }
      }
      sweep();
    });
  }
}

/**
 * SIGTERM or SIGINT shut the service down in the order that loses nothing: readiness fails, the server stops
 * accepting and every connection closes once it cannot be carrying a request (HttpConnections.drain), or at
 * SHUTDOWN_TIMEOUT_MS; then the application closes (the request log's buffer is flushed to its store, shipping stops
 * after its run, models and clients are released) and the process exits 0. A second signal exits at once.
 * Nest's own shutdown hooks are not used: they release the modules before the HTTP server stops taking requests.
 * Call before `listen()`, so that every connection is followed.
 */
export function enableGracefulShutdown(app: INestApplication, timeoutMs: number): void {
  const logger = new Logger('Shutdown');
  const connections = new HttpConnections(app.getHttpServer() as Server, app.get(ShutdownState));
  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) {
      logger.warn(`${signal} again: exiting at once`);
      process.exit(1);
    }
    stopping = true;
    const drained = connections.drain(timeoutMs);
    logger.log(`${signal}: not ready any more, finishing the requests in progress (up to ${timeoutMs} ms)`);
    const drain = await drained;
    logger.log(
      `Drained: ${drain.closedAfterAnswer} connections closed after an answer with Connection: close or by ` +
        `their client, ${drain.closedIdle} closed idle after ${IDLE_GRACE_MS} ms, ${drain.cut} cut, in ${drain.ms} ms; ` +
        `the longest a connection waited idle for its next request: ${drain.longestWaitMs} ms`,
    );
    if (drain.outcome === 'timed out') {
      logger.warn(`Requests still running after ${timeoutMs} ms (SHUTDOWN_TIMEOUT_MS) were cut off`);
    }
    await app.close();
    logger.log('Stopped');
    process.exit(0);
  };
  for (const signal of SIGNALS) {
    process.on(signal, () => {
      shutdown(signal).catch((error: unknown) => {
        logger.error(`Shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      });
    });
  }
}
