/* Three tiers (STYLE.md): unit specs beside the code, e2e over HTTP, integration against real services (Redis,
   Chromium: `test/integration/requirements.ts` checks they are there). `npm test` runs them all;
   `--selectProjects <name>` runs one.
   Timeouts only catch hangs: CI runs on a shared, loaded machine where a suite can take several times longer than
   on an idle one, so they are set well above what an idle run needs. Jest reads `testTimeout` from the global
   configuration only, so each tier sets its own in a setup file. */
const common = {
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  testEnvironment: '<rootDir>/test/jest-environment.js',
  moduleFileExtensions: ['ts', 'js', 'json'],
};

module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      setupFilesAfterEnv: [
        '<rootDir>/test/support/setup/30s.ts',
        '<rootDir>/test/support/setup/assertions.ts',
      ],
      testMatch: ['<rootDir>/src/**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      setupFilesAfterEnv: [
        '<rootDir>/test/support/setup/30s.ts',
        '<rootDir>/test/support/setup/assertions.ts',
      ],
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      setupFilesAfterEnv: [
        '<rootDir>/test/support/setup/120s.ts',
        '<rootDir>/test/support/setup/assertions.ts',
      ],
      testMatch: ['<rootDir>/test/integration/**/*.int-spec.ts'],
      // Says in one line what is missing (redis-server, Chromium, Prometheus) instead of failing every suite, and
      // starts the run's own Redis (TEST_REDIS_URL); the teardown stops it.
      globalSetup: '<rootDir>/test/integration/requirements.ts',
      globalTeardown: '<rootDir>/test/integration/teardown.ts',
    },
  ],
};
