/* The tests StrykerJS runs against each mutant (npm run test:mutation): the unit and e2e tiers, which need no
   outside service, as one project (Stryker wraps the top-level test environment only). The integration tier
   (Redis, Chromium, 10 000-request runs) is too slow to run per mutant. */
const { join } = require('node:path');
const { projects } = require('./jest.config');

const unit = projects.find((p) => p.displayName === 'unit');
const e2e = projects.find((p) => p.displayName === 'e2e');
const { displayName: _name, testMatch: _match, ...shared } = unit;

module.exports = {
  ...shared,
  // Stryker loads the environment itself, without resolving <rootDir>.
  testEnvironment: join(__dirname, 'test/jest-environment.js'),
  testMatch: process.env.MUTATION_TIERS === 'unit' ? unit.testMatch : [...unit.testMatch, ...e2e.testMatch],
};
