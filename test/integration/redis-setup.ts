import { killTestRedis, ownTestRedisAnswers, startTestRedis } from './test-redis';

/**
 * Global set-up of the mutation run (jest.mutation.config.js): the store contract suite's own Redis. StrykerJS runs
 * Jest once per mutant in each of its worker processes, and Jest runs the global set-up every time: the Redis a
 * worker's first run started serves all its later runs, and is stopped when the worker exits (Stryker ends a worker
 * with its process tree). A teardown that stopped it after each run left the next run a TEST_REDIS_URL that no longer
 * answered: its set-up failed and Stryker restarted the worker for every other mutant.
 */
export default async function redisSetup(): Promise<void> {
  if (await ownTestRedisAnswers()) {
    return;
  }
  if ((globalThis as Record<string, unknown>).__lungcheckTestRedis !== undefined) {
    // Started by an earlier run of this process and gone since: start another.
    delete process.env.TEST_REDIS_URL;
  }
  const problem = await startTestRedis();
  if (problem) {
    throw new Error(problem);
  }
  process.once('exit', killTestRedis);
}
