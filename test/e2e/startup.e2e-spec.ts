import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { type ServiceProcess, startService } from '../support/service-process';

/** src/main.ts as `npm start` runs it, with only the given environment and an archive directory of its own. */
const start = (env: Record<string, string>): ServiceProcess =>
  startService({ LOG_ARCHIVE_DIR: mkdtempSync(join(tmpdir(), 'lungcheck-startup-')), ...env });

describe('start-up of the real process (e2e)', () => {
  jest.setTimeout(60_000);

  it('serves, and on SIGTERM releases the model sessions and exits 0', async () => {
    const run = start({});
    const url = await run.url;
    await request(url)
      .get('/health')
      .expect(200, /"model_loaded":true/);
    run.child.kill('SIGTERM');
    expect(await run.exit).toEqual({ code: 0, signal: null });
    expect(run.output()).toMatch(/Released the sessions of logistic_regression@\w+, random_forest@\w+/);
    expect(run.output()).toMatch(/SIGTERM: not ready any more[\s\S]*Stopped/);
  });

  it('stops with the missing model file named, and exit code 1', async () => {
    const run = start({ MODEL_PATH: '/nonexistent/model.onnx' });
    expect(await run.exit).toEqual({ code: 1, signal: null });
    expect(run.output()).toContain(
      'Start-up failed: Model file not found: /nonexistent/model.onnx (MODEL_PATH)',
    );
  });

  it('stops on an invalid variable, naming it and what it accepts, once and without a stack trace', async () => {
    const run = start({ MODEL_POOL_SIZE: 'abc' });
    expect(await run.exit).toEqual({ code: 1, signal: null });
    expect(run.output()).toBe(
      'Invalid configuration:\n  - MODEL_POOL_SIZE must be an integer from 1 to 64 (got "abc")\n',
    );
  });

  it('writes only the levels LOG_LEVEL allows', async () => {
    const run = start({ LOG_LEVEL: 'warn', MODEL_PATH: '/nonexistent/model.onnx' });
    expect(await run.exit).toEqual({ code: 1, signal: null });
    expect(run.output()).toContain('Start-up failed: Model file not found');
    expect(run.output()).not.toContain('Starting Nest application');
  });
});
