import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { CHROMIUM } from '../support/browser';
import { REDIS_HOST, REDIS_PORT } from '../support/request-log/redis';

/** Whether something answers PONG on the Redis port within a second. */
function redisAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: REDIS_HOST, port: REDIS_PORT });
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

function onPath(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Global set-up of the integration tier: it talks to this machine's Redis, starts redis-server processes of its
 * own, drives Chromium, checks the Prometheus rules with promtool and runs them in a prometheus of its own. When
 * one is missing, say so in one line each and stop, instead of failing every suite with a stack trace.
 */
export default async function requirements(): Promise<void> {
  const missing: string[] = [];
  if (!(await redisAnswers())) {
    missing.push(
      `Redis does not answer on ${REDIS_HOST}:${REDIS_PORT}: install it with \`apt-get install -y redis-server\` ` +
        'and start it with `redis-server --daemonize yes --save ""`',
    );
  }
  if (!onPath('redis-server')) {
    missing.push('redis-server is not on PATH: install it with `apt-get install -y redis-server`');
  }
  if (!onPath('promtool')) {
    missing.push(
      'promtool is not on PATH (it checks deploy/prometheus): install it with `apt-get install -y prometheus`',
    );
  }
  if (!onPath('prometheus')) {
    missing.push(
      'prometheus is not on PATH (it scrapes the service and evaluates the rules): install it with ' +
        '`apt-get install -y prometheus`',
    );
  }
  if (!existsSync(CHROMIUM)) {
    missing.push(`Chromium is missing (${CHROMIUM}): install it with \`apt-get install -y chromium\``);
  }
  if (missing.length > 0) {
    process.stderr.write(
      `\nThe integration tests cannot run:\n${missing.map((line) => `  - ${line}\n`).join('')}` +
        'Run `npm run test:unit` and `npm run test:e2e` for the tiers that need neither.\n\n',
    );
    process.exit(1);
  }
}
