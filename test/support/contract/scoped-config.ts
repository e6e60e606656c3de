import { AppConfig } from '../../../src/config/app-config';
import { validateEnv } from '../../../src/config/env.schema';

/**
 * The service's configuration from the environment (ES_URL and its credentials), with index names of its own under
 * `prefix`, so that each contract test works in indexes nobody else uses.
 */
export function scopedConfig(prefix: string): AppConfig {
  return new AppConfig(
    validateEnv({
      ...process.env,
      ES_INDEX_LOGS: `${prefix}-logs`,
      ES_INDEX_MESSAGE: `${prefix}-message`,
      ES_INDEX_PERFS: `${prefix}-perfs`,
      ES_INDEX_TOP_FUNC: `${prefix}-top-func`,
      ES_INDEX_DEADLETTER: `${prefix}-deadletter`,
      ES_INDEX_DRIFT: `${prefix}-drift`,
    }),
  );
}
