import { Global, Module } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { AppConfig } from './app-config';
import { validateEnv } from './env.schema';

/** Where `.env` is looked for: the directory the service is started from. */
const ENV_FILE = '.env';

/**
 * The one reading of the environment: `.env` (if present; variables already set win over it), then validation
 * against the schema, which throws InvalidConfigError naming every bad variable and what it accepts.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  if (env === process.env && existsSync(ENV_FILE)) {
    process.loadEnvFile(ENV_FILE);
  }
  return new AppConfig(validateEnv(env));
}

/** Provides the typed AppConfig everywhere; the entry points call loadConfig() first to fail fast, once. */
@Global()
@Module({
  providers: [{ provide: AppConfig, useFactory: () => loadConfig() }],
  exports: [AppConfig],
})
export class ConfigModule {}
