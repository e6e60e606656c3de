import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CHROMIUM } from '../support/browser';
import { startTestRedis } from './test-redis';

function onPath(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Global set-up of the integration tier: it starts a Redis of its own for the run (or uses TEST_REDIS_URL) and more
 * redis-server processes for outages, drives Chromium, checks the Prometheus rules with promtool and runs them in a
 * prometheus of its own. When one is missing, say so in one line each and stop, instead of failing every suite with
 * a stack trace.
 */
export default async function requirements(): Promise<void> {
  const missing: string[] = [];
  if (!onPath('redis-server')) {
    missing.push('redis-server is not on PATH: install it with `apt-get install -y redis-server`');
  } else {
    const problem = await startTestRedis();
    if (problem) {
      missing.push(problem);
    }
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
