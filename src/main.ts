import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { configureApp } from './app.setup';
import { AppConfig } from './config/app-config';

async function bootstrap(): Promise<void> {
  // Imported here so that an invalid environment (validated when the module is loaded) is reported below.
  const { AppModule } = await import('./app.module');
  // abortOnError: false — a failed start-up must exit with its message, not a core dump.
  const app = await NestFactory.create<NestExpressApplication>(AppModule, { abortOnError: false });
  configureApp(app);
  app.enableShutdownHooks();
  const { host, port } = app.get(AppConfig).api;
  await app.listen(port, host);
  // The bound port, not the configured one: API_PORT=0 picks a free port (tests, side-by-side instances).
  const bound = (app.getHttpServer().address() as AddressInfo).port;
  new Logger('Bootstrap').log(`Listening on http://${host}:${bound} (Swagger UI at /docs)`);
}

bootstrap().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  new Logger('Bootstrap').error(`Start-up failed: ${message}`);
  // Exit even if something opened during the failed start (a session, a connection) would keep the loop alive.
  process.exit(1);
});
