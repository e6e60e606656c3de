import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
export async function startRedisServer(
  port: number,
  dataDir?: string,
  extra: string[] = [],
): Promise<RedisServer> {
  const persistence = dataDir
    ? ['--dir', dataDir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '']
    : ['--save', '', '--appendonly', 'no'];
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', ...persistence, ...extra],
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

/**
 * A throw-away Redis Cluster of three masters on loopback (no replicas), created with redis-cli as an operator
 * would; resolves once the cluster says it is ok.
 */
export async function startRedisCluster(): Promise<{
  nodes: { host: string; port: number }[];
  /** SIGKILL of one node (a master: the cluster has no replicas). */
  kill(port: number): Promise<void>;
  stop(): Promise<void>;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'lungcheck-redis-cluster-'));
  const ports: number[] = [];
  while (ports.length < 3) {
    const port = await freePort();
    // A cluster node also listens on port + 10000 (the cluster bus).
    if (!ports.includes(port) && port + 10_000 < 65_536) {
      ports.push(port);
    }
  }
  const servers = await Promise.all(
    ports.map((port) =>
      startRedisServer(port, undefined, [
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, `nodes-${port}.conf`),
        // A lost master makes the cluster fail after this long (15 s by default).
        '--cluster-node-timeout',
        '2000',
        '--dir',
        dir,
      ]),
    ),
  );
  const create = spawnSync(
    'redis-cli',
    [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ],
    { encoding: 'utf8' },
  );
  if (create.status !== 0) {
    throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
  }
  await waitFor(
    'the Redis Cluster to be ok',
    () =>
      ports.every((p) =>
        spawnSync('redis-cli', ['-p', String(p), 'cluster', 'info'], { encoding: 'utf8' }).stdout.includes(
          'cluster_state:ok',
        ),
      ),
    { intervalMs: 100 },
  );
  return {
    nodes: ports.map((port) => ({ host: '127.0.0.1', port })),
    kill: (port) => servers[ports.indexOf(port)]!.kill(),
    async stop() {
      await Promise.all(servers.map((server) => server.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
