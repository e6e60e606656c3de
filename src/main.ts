import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { AppConfig, logLevels } from './config/app-config';
import { loadConfig } from './config/config.module';
import { InvalidConfigError } from './config/env.schema';
import { enableGracefulShutdown } from './health/graceful-shutdown';

/**
 * How often Node looks for connections past HTTP_HEADERS_TIMEOUT_MS or HTTP_REQUEST_TIMEOUT_MS: one is cut at most this
 * much after its timeout. Node's default, 30 s, let a slowloris hold a socket for 20 s under a 10 s headers timeout; a
 * check only walks the connections that have a request under way.
 */
const TIMEOUT_CHECK_INTERVAL_MS = 1000;

/**
 * Express on a server of our own making: Node takes the checking interval only as an option of `createServer`. The
 * timeouts themselves are set by `configureApp`, which the in-process test apps share.
 */
class CheckedExpressAdapter extends ExpressAdapter {
  override initHttpServer(): void {
    this.setHttpServer(
      createServer({ connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS }, this.getInstance()),
    );
  }
}

async function bootstrap(): Promise<void> {
  // Read and checked before Nest starts, so that a bad variable is reported once, plainly, and LOG_LEVEL applies
  // from the first line.
  const config = loadConfig();
  // abortOnError: false — a failed start-up must exit with its message, not a core dump.
  const app = await NestFactory.create<NestExpressApplication>(AppModule, new CheckedExpressAdapter(), {
    abortOnError: false,
    logger: logLevels(config.logLevel),
  });
  configureApp(app);
  const { host, port, shutdownTimeoutMs } = app.get(AppConfig).api;
  enableGracefulShutdown(app, shutdownTimeoutMs);
  await app.listen(port, host);
  // The bound port, not the configured one: API_PORT=0 picks a free port (tests, side-by-side instances).
  const bound = (app.getHttpServer().address() as AddressInfo).port;
  new Logger('Bootstrap').log(`Listening on http://${host}:${bound} (Swagger UI at /docs)`);
}

bootstrap().catch((error: unknown) => {
  if (error instanceof InvalidConfigError) {
    console.error(error.message);
  } else {
    new Logger('Bootstrap').error(
      `Start-up failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  // Exit even if something opened during the failed start (a session, a connection) would keep the loop alive.
  process.exit(1);
});
