/* Three tiers (STYLE.md): unit specs beside the code, e2e over HTTP, integration against real services
   (Redis, Chromium). `npm test` runs them all; `--selectProjects <name>` runs one. */
const common = {
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  testEnvironment: '<rootDir>/test/jest-environment.js',
  moduleFileExtensions: ['ts', 'js', 'json'],
};

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.int-spec.ts'],
    },
  ],
};
