import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppModule } from '../../../src/app.module';
import { configureApp } from '../../../src/app.setup';
import { AppConfig } from '../../../src/config/app-config';
import { validateEnv } from '../../../src/config/env.schema';
import { OnnxSessionFactory } from '../../../src/model-pool/onnx-session.factory';

export const ROOT = join(__dirname, '../../..');
export const MODEL_DIR = join(ROOT, 'model');

export interface TestAppOptions {
  /** Environment variables, validated as at start-up; the committed model/ is served by default. */
  env?: Record<string, string>;
  /** Replaces onnxruntime session creation (to make it fail). */
  sessions?: OnnxSessionFactory;
  /** Other providers to replace (an Elasticsearch client on a mock cluster, a simulated clock…). */
  overrides?: { provide: unknown; useValue: unknown }[];
}

/**
 * The real application (AppModule + configureApp, as main.ts builds it) with its configuration given by the test:
 * by default no Redis, no Elasticsearch, no scheduled shipping, and nothing written outside a temporary directory.
 */
export async function createTestApp(options: TestAppOptions = {}): Promise<NestExpressApplication> {
  const env = validateEnv({
    MODEL_DIR,
    LOG_SHIP_INTERVAL_SECONDS: '0',
    LOG_ARCHIVE_DIR: mkdtempSync(join(tmpdir(), 'lungcheck-e2e-archive-')),
    ...options.env,
  });
  let builder = Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(AppConfig)
    .useValue(new AppConfig(env));
  if (options.sessions) {
    builder = builder.overrideProvider(OnnxSessionFactory).useValue(options.sessions);
  }
  for (const { provide, useValue } of options.overrides ?? []) {
    builder = builder.overrideProvider(provide).useValue(useValue);
  }
  const moduleRef = await builder.compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ logger: false });
  configureApp(app);
  try {
    await app.init();
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  return app;
}

export const close = (app: INestApplication | undefined): Promise<void> => app?.close() ?? Promise.resolve();

/** Listens on a random port of the loopback interface and gives the base URL, for real HTTP calls. */
export async function listen(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return `http://127.0.0.1:${address.port}`;
}
