import Redis from 'ioredis';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startRedisServer } from '../support/request-log/redis-server';
import { postPrediction } from '../support/post-prediction';
import { type ServiceProcess, startService } from '../support/service-process';
import { waitFor } from '../support/wait-for';

const REPLICAS = ['replica-1', 'replica-2', 'replica-3'];
const STREAM = 'api_logs:stream';
const FLUSH_MS = 50;

/** The transaction ids of the logs index's documents in the archive, in file order (duplicates kept). */
function archivedIds(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith('ml-api-logs-') && f.endsWith('.ndjson'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n'))
    .map((line) => /"transaction_id":"([^"]+)"/.exec(line)?.[1])
    .filter((id): id is string => id !== undefined);
}

/**
 * Three replicas on one Redis writing one NDJSON archive (LOG_ARCHIVE_DIR), under load; a replica holding entries
 * read but not yet acknowledged (XPENDING) that it has already appended to the archive is SIGKILLed; a survivor
 * takes them over and must not write them again. Five runs: every entry in the archive exactly once, and none lost but those the killed replica had
 * answered within LOG_FLUSH_INTERVAL_MS (and a margin) of its death.
 */
describe('replicas sharing one NDJSON archive', () => {
  it.each([1, 2, 3, 4, 5])(
    'run %i: nothing written twice when the replica holding pending entries is killed',
    async (run) => {
      const redisPort = await freePort();
      const redisServer = await startRedisServer(redisPort);
      const redis = new Redis({ port: redisPort, host: '127.0.0.1' });
      const archive = mkdtempSync(join(tmpdir(), 'lungcheck-replicas-archive-'));
      const services = new Map<string, ServiceProcess>();
      try {
        for (const name of REPLICAS) {
          services.set(
            name,
            startService({
              HOSTNAME: name,
              REDIS_HOST: '127.0.0.1',
              REDIS_PORT: String(redisPort),
              LOG_ARCHIVE_DIR: archive,
              LOG_FLUSH_INTERVAL_MS: String(FLUSH_MS),
              LOG_SHIP_INTERVAL_SECONDS: '1',
              LOG_SHIP_BATCH_SIZE: '100',
              LOG_SHIP_CLAIM_IDLE_MS: '2000',
              RATE_LIMIT_PER_MINUTE: '0',
              MODEL_POOL_SIZE: '1',
            }),
          );
        }
        const urls = new Map(
          await Promise.all(REPLICAS.map(async (name) => [name, await services.get(name)!.url] as const)),
        );
        const answered = new Map<string, { replica: string; at: number }>();
        let stopped = false;
        const dead = new Set<string>();
        const load = REPLICAS.flatMap((name) =>
          Array.from({ length: 4 }, async (_, worker) => {
            const agent = new Agent({ keepAlive: true, maxSockets: 1 });
            for (let i = 0; !stopped && !dead.has(name); i += 1) {
              const id = `r${run}-${name}-${worker}-${i}`;
              const outcome = await postPrediction(urls.get(name)!, agent, id);
              if (outcome.status === 200) {
                answered.set(id, { replica: name, at: performance.now() });
              }
            }
            agent.destroy();
          }),
        );
        // The victim: a replica caught (frozen with SIGSTOP while it is looked at) holding read, unacknowledged
        // entries that it has already appended to the archive, the moment a crash leaves them to be shipped again.
        const victim = await waitFor(
          'a replica holding entries it appended but has not acknowledged',
          async () => {
            const summary = (await redis.xpending(STREAM, 'shipper').catch(() => null)) as
              [number, string, string, [string, string][] | null] | null;
            for (const [consumer, count] of summary?.[3] ?? []) {
              const child = services.get(consumer)?.child;
              if (Number(count) === 0 || !child || dead.has(consumer)) {
                continue;
              }
              child.kill('SIGSTOP');
              const pending = (await redis.xpending(STREAM, 'shipper', '-', '+', 1000, consumer)) as [
                string,
              ][];
              const entries = await Promise.all(pending.map(([id]) => redis.xrange(STREAM, id, id)));
              const ids = entries.flatMap((found) =>
                found.map(([, fields]) => /"transaction_id":"([^"]+)"/.exec(fields[1] ?? '')?.[1]),
              );
              const archived = new Set(archivedIds(archive));
              if (ids.some((id) => id !== undefined && archived.has(id))) {
                return consumer;
              }
              child.kill('SIGCONT');
            }
            return undefined;
          },
          { timeoutMs: 90_000, intervalMs: 5 },
        );
        const killedAt = performance.now();
        dead.add(victim);
        services.get(victim)!.child.kill('SIGKILL');
        services.get(victim)!.child.kill('SIGCONT');
        await services.get(victim)!.exit;
        // Load on the survivors a little longer, then let them settle.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        stopped = true;
        await Promise.all(load);
        await waitFor(
          'every entry shipped: nothing pending, nothing queued',
          async () => {
            const [length, summary] = await Promise.all([
              redis.xlen(STREAM),
              redis.xpending(STREAM, 'shipper') as Promise<[number, ...unknown[]]>,
            ]);
            return length === 0 && Number(summary[0]) === 0 ? true : undefined;
          },
          { timeoutMs: 60_000, intervalMs: 200 },
        );

        const ids = archivedIds(archive);
        const unique = new Set(ids);
        const lost = [...answered].filter(([id]) => !unique.has(id));
        const lateLoss = lost.filter(
          ([, { replica, at }]) => replica !== victim || killedAt - at > FLUSH_MS + 200,
        );
        process.stdout.write(
          `replicas sharing an archive, run ${run}: ${answered.size} answered, ${ids.length} documents in ` +
            `ml-api-logs, ${ids.length - unique.size} duplicated, ${lost.length} lost (all answered by the killed ` +
            `${victim} within ${Math.max(0, ...lost.map(([, { at }]) => killedAt - at)).toFixed(0)} ms of its death)\n`,
        );
        expect(answered.size).toBeGreaterThan(100);
        expect(ids.length - unique.size).toBe(0);
        expect(lateLoss).toEqual([]);
        expect(readdirSync(archive).filter((f) => f.endsWith('.lock'))).toEqual([]);
      } finally {
        for (const service of services.values()) {
          service.child.kill('SIGKILL');
        }
        redis.disconnect();
        await redisServer.stop();
        rmSync(archive, { recursive: true, force: true });
      }
    },
    180_000,
  );
});
