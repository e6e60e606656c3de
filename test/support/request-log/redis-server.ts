import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import Redis from 'ioredis';
import { waitFor } from '../wait-for';

/** A port in 20000-31999 (below the ephemeral range outgoing connections take) that nothing listens on now. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) {
      return port;
    }
  }
}

export interface RedisServer {
  /** SIGTERM, and waits for the exit. */
  stop(): Promise<void>;
  /** SIGKILL, and waits for the exit: what it had not written to disk is gone. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: a frozen Redis keeps its connections open and answers nothing. */
  freeze(): void;
  thaw(): void;
}

/**
 * A throw-away redis-server on `port`; resolves once it answers PING. Without `dataDir` it keeps nothing; with one
 * it writes every command to an append-only file there (fsync always), so a restart on the same folder finds its
 * data again.
 */
export async function startRedisServer(port: number, dataDir?: string): Promise<RedisServer> {
  const persistence = dataDir
    ? ['--dir', dataDir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '']
    : ['--save', '', '--appendonly', 'no'];
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', ...persistence],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => 20 });
  probe.on('error', () => undefined);
  await probe.connect().catch(() => undefined);
  await waitFor(
    `redis-server on port ${port} to answer PING`,
    async () => {
      if (child.exitCode !== null) {
        throw new Error(`redis-server on port ${port} exited with ${child.exitCode}`);
      }
      return (await probe.ping().catch(() => null)) === 'PONG';
    },
    { intervalMs: 20 },
  );
  probe.disconnect();
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill(signal);
      await exited;
    }
  };
  return {
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
    freeze: () => child.kill('SIGSTOP'),
    thaw: () => child.kill('SIGCONT'),
  };
}
