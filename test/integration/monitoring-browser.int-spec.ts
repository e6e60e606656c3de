import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { ServiceProcess, startService } from '../support/service-process';

const ROOT = join(__dirname, '../..');
const ARTIFACTS = join(ROOT, 'artifacts', 'monitoring');
const run = promisify(execFile);

/**
 * The issue's scenario, end to end: the service on its embedded defaults, the simulator sending patients like the
 * training data (no drift), then `simulate:drift`'s options (AGE stepped to 75) — and the dashboard and the drift
 * report in Chromium, before and after, saved as screenshots to artifacts/monitoring/.
 */
describe('Monitoring in a browser, with the simulator', () => {
  let service: ServiceProcess;
  let url: string;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    service = startService({});
    [url, browser] = await Promise.all([service.url, launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    service?.child.kill('SIGTERM');
    await service?.exit;
  });

  async function simulate(...args: string[]): Promise<{ total: number; succeeded: number }> {
    const { stdout } = await run(
      process.execPath,
      ['-r', 'ts-node/register', 'src/cli/simulate.ts', '--url', url, '--json', ...args],
      { cwd: ROOT, env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' }, timeout: 120_000 },
    );
    return JSON.parse(stdout) as { total: number; succeeded: number };
  }

  async function open(path: string, name: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, javaScriptEnabled: false });
    const res = await page.goto(`${url}${path}`);
    expect(res?.status()).toBe(200);
    await page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });
    return page;
  }

  it('shows "not enough data", then no drift for training-like patients, then AGE in DRIFT after simulate:drift', async () => {
    let page = await open('/monitoring', 'dashboard-empty.png');
    expect(await page.locator('[data-drift]').getAttribute('data-drift')).toBe('unknown');
    await page.close();

    const calm = await simulate('--requests', '300', '--users', '10', '--profile', 'training', '--seed', '7');
    expect(calm).toMatchObject({ total: 300, succeeded: 300 });
    page = await open('/monitoring', 'dashboard-no-drift.png');
    const calmVerdict = await page.locator('[data-drift]').getAttribute('data-drift');
    expect(calmVerdict).toBe('ok');
    expect(await page.locator('#drift-heading').textContent()).not.toContain('Data drift');
    expect(await page.locator('svg.chart').count()).toBe(5);
    await page.close();
    page = await open('/monitoring/drift', 'drift-report-no-drift.png');
    expect(await page.locator('tr[data-feature="AGE"]').getAttribute('data-level')).not.toBe('DRIFT');
    await page.close();

    const drift = await simulate(
      ...['--requests', '200', '--users', '10', '--profile', 'training', '--seed', '8'],
      ...['--enable-age-drift', '--age-drift-target', '75', '--drift-mode', 'step'],
    );
    expect(drift).toMatchObject({ total: 200, succeeded: 200 });
    page = await open('/monitoring', 'dashboard-age-drift.png');
    expect(await page.locator('[data-testid="drift-features"]').textContent()).toContain('AGE');
    await page.close();
    page = await open('/monitoring/drift', 'drift-report-age-drift.png');
    expect(await page.locator('tr[data-feature="AGE"]').getAttribute('data-level')).toBe('DRIFT');
    expect(await page.locator('figure[data-chart="AGE"] svg rect').count()).toBeGreaterThan(18);
    await page.close();
  });
});
