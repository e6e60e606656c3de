import { stopTestRedis } from './test-redis';

/** Global teardown of the integration tier: stops the Redis the set-up started for the run. */
export default async function teardown(): Promise<void> {
  await stopTestRedis();
}
