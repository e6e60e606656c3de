/* The Elasticsearch contract suite (`npm run test:es`): the shipping scenarios against a real cluster at ES_URL.
   Kept out of `npm test`, which must pass on machines without Elasticsearch. */
module.exports = {
  rootDir: '../..',
  displayName: 'contract',
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  testEnvironment: '<rootDir>/test/jest-environment.js',
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['<rootDir>/test/contract/**/*.contract-spec.ts'],
  globalSetup: '<rootDir>/test/contract/announce.js',
  testTimeout: 60000,
};
