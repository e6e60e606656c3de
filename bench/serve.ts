import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..');

export interface Served {
  url: string;
  child: ChildProcess;
  /** Milliseconds from spawn to the first answered GET /health. */
  readyMs: number;
  stop: () => Promise<void>;
}

/**
 * Starts the built service (`dist/main.js`, what `npm start` runs), or another server of the bench (a `.ts` file,
 * transpiled on load), on a free port, and waits until it answers `readyPath` (or, without one, until it listens).
 */
export async function serve(
  env: Record<string, string> = {},
  entry = 'dist/main.js',
  readyPath: string | null = '/health',
): Promise<Served> {
  const main = join(ROOT, entry);
  if (!existsSync(main)) {
    throw new Error(`${entry} not found: run \`npm run build\` first`);
  }
  const started = performance.now();
  const args = entry.endsWith('.ts') ? ['-r', 'ts-node/register/transpile-only', main] : [main];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      NO_COLOR: '1',
      API_HOST: '127.0.0.1',
      API_PORT: '0',
      LOG_SHIP_INTERVAL_SECONDS: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  let url: string | undefined;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`the service exited:\n${output}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the service did not answer /health within 60 s:\n${output}`);
    }
    url ??= /Listening on (http:\/\/[\d.]+:\d+)/.exec(output)?.[1];
    if (
      url &&
      (readyPath === null ||
        (await fetch(`${url}${readyPath}`)
          .then((r) => r.ok)
          .catch(() => false)))
    ) {
      break;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const readyMs = performance.now() - started;
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return { url, child, readyMs, stop };
}
