/* The tests StrykerJS runs against each mutant (npm run test:mutation), as one project (Stryker wraps the top-level
   test environment only): the unit and e2e tiers, and of the integration tier the Redis log store's contract suite
   (it needs the Redis on 127.0.0.1:6379 and takes a second). The rest of that tier (Chromium, 10 000-request
   runs, processes started and killed) is too slow to run per mutant. */
const { join } = require('node:path');
const { projects } = require('./jest.config');

const unit = projects.find((p) => p.displayName === 'unit');
const e2e = projects.find((p) => p.displayName === 'e2e');
const { displayName: _name, testMatch: _match, ...shared } = unit;

module.exports = {
  ...shared,
  // Stryker loads the environment itself, without resolving <rootDir>.
  testEnvironment: join(__dirname, 'test/jest-environment.js'),
  testMatch: [
    ...unit.testMatch,
    ...e2e.testMatch,
    '<rootDir>/test/integration/request-log-redis-store.int-spec.ts',
  ],
  // Training (src/training, the train command) and the real-process start-up test are out of the mutated scope and
  // take seconds each: every mutant of the feature code would run them.
  testPathIgnorePatterns: [
    '/node_modules/',
    '/src/training/',
    '/src/cli/',
    '/test/e2e/startup\\.e2e-spec\\.ts$',
    // 10 000 generated requests (a minute) for every mutant of the request path; it checks the status classes and
    // that the process stays up, which the other e2e suites check on the same code for each body shape they send.
    '/test/e2e/fuzz\\.e2e-spec\\.ts$',
  ],
};
