// The integration tier's ceiling for one test (jest.config.js says why it is set here).
jest.setTimeout(120_000);
