import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { AppConfig, logLevels } from './config/app-config';
import { loadConfig } from './config/config.module';
import { InvalidConfigError } from './config/env.schema';
import { enableGracefulShutdown } from './health/graceful-shutdown';

async function bootstrap(): Promise<void> {
  // Read and checked before Nest starts, so that a bad variable is reported once, plainly, and LOG_LEVEL applies
  // from the first line.
  const config = loadConfig();
  // abortOnError: false — a failed start-up must exit with its message, not a core dump.
  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
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
