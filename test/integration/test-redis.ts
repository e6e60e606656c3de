import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { freePort } from '../support/request-log/redis-server';

/** The redis-server this run started, if any, for the teardown. */
const KEY = '__lungcheckTestRedis';

function answersPing(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/**
 * The integration tier's own Redis: TEST_REDIS_URL when it is set (it must answer), otherwise a redis-server started
 * for this run on a free port, keeping nothing on disk, and stopped by the teardown. Jest's workers start after this
 * and inherit TEST_REDIS_URL. Returns a message when no Redis can be had.
 */
export async function startTestRedis(): Promise<string | undefined> {
  const given = process.env.TEST_REDIS_URL;
  if (given) {
    const url = new URL(given);
    return (await answersPing(url.hostname, Number(url.port || 6379)))
      ? undefined
      : `TEST_REDIS_URL (${url.host}) does not answer PING`;
  }
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--databases', '16'],
    { stdio: 'ignore', detached: false },
  );
  const started = await new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(false));
    const deadline = Date.now() + 10_000;
    const poll = async (): Promise<void> => {
      if (await answersPing('127.0.0.1', port)) {
        resolve(true);
      } else if (child.exitCode !== null || Date.now() > deadline) {
        resolve(false);
      } else {
        setTimeout(() => void poll(), 50);
      }
    };
    void poll();
  });
  if (!started) {
    child.kill('SIGKILL');
    return 'redis-server could not be started: install it with `apt-get install -y redis-server`';
  }
  (globalThis as Record<string, unknown>)[KEY] = child;
  process.env.TEST_REDIS_URL = `redis://127.0.0.1:${port}`;
  return undefined;
}

/** Stops the redis-server the set-up started. */
export async function stopTestRedis(): Promise<void> {
  const child = (globalThis as Record<string, unknown>)[KEY] as ChildProcess | undefined;
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

/**
 * Whether the redis-server this process started is still running and answering: StrykerJS runs Jest again and again
 * in each of its worker processes, and the mutation run's set-up keeps one Redis per process across those runs.
 */
export async function ownTestRedisAnswers(): Promise<boolean> {
  const child = (globalThis as Record<string, unknown>)[KEY] as ChildProcess | undefined;
  const url = process.env.TEST_REDIS_URL;
  if (!child || child.exitCode !== null || child.signalCode !== null || !url) {
    return false;
  }
  const { hostname, port } = new URL(url);
  return answersPing(hostname, Number(port));
}

/** Stops the redis-server this process started, at once (for the process's exit, when nothing can be awaited). */
export function killTestRedis(): void {
  const child = (globalThis as Record<string, unknown>)[KEY] as ChildProcess | undefined;
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
  }
}
