import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { waitFor } from './wait-for';

const ROOT = join(__dirname, '../..');

export interface ServiceProcess {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Its base URL once it listens. */
  url: Promise<string>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * `src/main.ts` in a process of its own, as `npm start` runs it (transpiled on the fly instead of built), on a free
 * loopback port, with only the given environment beside PATH.
 */
export function startService(env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, ['-r', 'ts-node/register', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      TS_NODE_TRANSPILE_ONLY: 'true',
      NO_COLOR: '1',
      API_HOST: '127.0.0.1',
      API_PORT: '0',
      LOG_SHIP_INTERVAL_SECONDS: '0',
      ...env,
    },
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  const url = waitFor(
    'the service to print that it listens',
    () => {
      const match = /Listening on (http:\/\/[\d.]+:\d+)/.exec(output);
      if (!match && child.exitCode !== null) {
        throw new Error(`exited before listening:\n${output}`);
      }
      return match?.[1];
    },
    { timeoutMs: 60_000, intervalMs: 20 },
  );
  url.catch(() => undefined);
  return { child, output: () => output, url, exit };
}
