// The unit and e2e tiers' ceiling for one test (jest.config.js says why it is set here).
jest.setTimeout(30_000);
