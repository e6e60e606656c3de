import { startTestRedis } from './test-redis';

/** Global set-up of the mutation run (jest.mutation.config.js): the store contract suite's own Redis. */
export default async function redisSetup(): Promise<void> {
  const problem = await startTestRedis();
  if (problem) {
    throw new Error(problem);
  }
}
