import { Global, Module } from '@nestjs/common';
import { ConfigModule as NestConfigModule, ConfigService } from '@nestjs/config';
import { AppConfig } from './app-config';
import { ENV_DOCS } from './env.docs';
import { EnvironmentVariables, EnvName, validateEnv } from './env.schema';

/**
 * Reads `.env` (if present) and the environment once, validates them against the schema (start-up stops with a
 * message naming every bad variable and what it accepts), and provides the typed AppConfig everywhere.
 */
@Global()
@Module({
  imports: [NestConfigModule.forRoot({ validate: validateEnv, cache: true })],
  providers: [
    {
      provide: AppConfig,
      inject: [ConfigService],
      useFactory: (config: ConfigService<EnvironmentVariables, true>) => {
        const env = new EnvironmentVariables();
        for (const name of Object.keys(ENV_DOCS) as EnvName[]) {
          const value: unknown = config.get(name, { infer: true });
          if (value !== undefined && value !== '') {
            Object.assign(env, { [name]: value });
          }
        }
        return new AppConfig(env);
      },
    },
  ],
  exports: [AppConfig],
})
export class ConfigModule {}
