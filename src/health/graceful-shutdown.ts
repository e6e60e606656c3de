import { type INestApplication, Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { Server } from 'node:http';
import { ShutdownState } from './shutdown-state';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** `Connection: close` on every answer once shutdown has begun: keep-alive clients open a new connection elsewhere. */
export function closeConnectionsWhenShuttingDown(state: ShutdownState) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    if (state.shuttingDown) {
      res.setHeader('Connection', 'close');
    }
    next();
  };
}

/**
 * Stops accepting, lets the requests in progress finish (up to `timeoutMs`), then closes what is left.
 * `server.close()` closes idle keep-alive sockets at once; a socket in the middle of a request closes after its
 * answer, which carries `Connection: close`.
 */
export function drainServer(server: Server, timeoutMs: number): Promise<'drained' | 'timed out'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.closeAllConnections();
      resolve('timed out');
    }, timeoutMs);
    server.close(() => {
      clearTimeout(timer);
      resolve('drained');
    });
    server.closeIdleConnections();
  });
}

/**
 * SIGTERM or SIGINT shut the service down in the order that loses nothing: readiness fails at once; the server stops
 * accepting and closes idle keep-alive connections; requests in progress finish (up to SHUTDOWN_TIMEOUT_MS); then
 * the application closes (the request log's buffer is flushed to its store, shipping stops after its run, models
 * and clients are released) and the process exits 0. A second signal exits at once.
 * Nest's own shutdown hooks are not used: they release the modules before the HTTP server stops taking requests.
 */
export function enableGracefulShutdown(app: INestApplication, timeoutMs: number): void {
  const logger = new Logger('Shutdown');
  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) {
      logger.warn(`${signal} again: exiting at once`);
      process.exit(1);
    }
    stopping = true;
    app.get(ShutdownState).begin();
    logger.log(`${signal}: not ready any more, finishing the requests in progress (up to ${timeoutMs} ms)`);
    const drained = await drainServer(app.getHttpServer() as Server, timeoutMs);
    if (drained === 'timed out') {
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
