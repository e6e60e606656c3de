/* The tests StrykerJS runs against each mutant (npm run test:mutation), as one project (Stryker wraps the top-level
   test environment only): the unit tier, and of the integration tier the Redis log store's contract suite (on a
   redis-server of its own, as the integration tier starts one, and a second long). The e2e tier is left out: each of its suites starts the whole
   application, so perTest coverage puts most of it behind every mutant of the request path, and a run with it was
   projected at 16 hours on two cores; the unit specs cover the mutated code directly (docs/testing.md). The one
   exception is the migration suite, which starts no application: it runs `npm run migrate`'s program in process
   against a mock cluster and a fake Kibana (12 tests in a few seconds), and is what tests src/migration's commands. */
const { join } = require('node:path');
const { projects } = require('./jest.config');

const unit = projects.find((p) => p.displayName === 'unit');
const { displayName: _name, testMatch: _match, ...shared } = unit;

module.exports = {
  ...shared,
  // Stryker loads the environment itself, without resolving <rootDir>.
  testEnvironment: join(__dirname, 'test/jest-environment.js'),
  testMatch: [
    ...unit.testMatch,
    '<rootDir>/test/integration/request-log-redis-store.int-spec.ts',
    '<rootDir>/test/e2e/migration.e2e-spec.ts',
  ],
  // Starts the Redis of the contract suite once per process (Stryker runs Jest many times in each of its workers);
  // it stops when the process exits, so there is no global teardown.
  globalSetup: join(__dirname, 'test/integration/redis-setup.ts'),
  // Training (src/training, the train command) is out of the mutated scope and takes seconds per run: every mutant
  // of the feature code would run it.
  testPathIgnorePatterns: ['/node_modules/', '/src/training/', '/src/cli/'],
};
