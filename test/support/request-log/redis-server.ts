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

/** A throw-away redis-server on `port`, without persistence; resolves once it answers PING. */
export async function startRedisServer(port: number): Promise<{ stop(): Promise<void> }> {
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
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
  return {
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
