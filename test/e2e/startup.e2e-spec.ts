import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { waitFor } from '../support/wait-for';
import { ROOT } from './support/test-app';

interface Run {
  child: ChildProcess;
  output: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** src/main.ts as `npm start` runs it (transpiled on the fly instead of built), with only the given environment. */
function start(env: Record<string, string>): Run {
  const child = spawn(process.execPath, ['-r', 'ts-node/register', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      TS_NODE_TRANSPILE_ONLY: 'true',
      NO_COLOR: '1',
      API_HOST: '127.0.0.1',
      API_PORT: '0',
      LOG_SHIP_INTERVAL_SECONDS: '0',
      LOG_ARCHIVE_DIR: mkdtempSync(join(tmpdir(), 'lungcheck-startup-')),
      ...env,
    },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => output, exit };
}

function listening(run: Run): Promise<string> {
  return waitFor('the service to print that it listens', () => {
    const match = /Listening on (http:\/\/[\d.]+:\d+)/.exec(run.output());
    if (!match && run.child.exitCode !== null) {
      throw new Error(`exited before listening:\n${run.output()}`);
    }
    return match?.[1];
  });
}

describe('start-up of the real process (e2e)', () => {
  jest.setTimeout(60_000);

  it('serves, and on SIGTERM releases the model sessions and exits 0', async () => {
    const run = start({});
    const url = await listening(run);
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
