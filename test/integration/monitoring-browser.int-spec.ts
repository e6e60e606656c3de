import AxeBuilder from '@axe-core/playwright';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import type { DriftEvaluation } from '../../src/log-store/drift-evaluation';
import type { DriftReport } from '../../src/monitoring/drift.engine';
import type { MonitoringSummary } from '../../src/monitoring/monitoring.summary';
import { launchChromium } from '../support/browser';
import { ServiceProcess, startService } from '../support/service-process';
import { waitFor } from '../support/wait-for';

const ROOT = join(__dirname, '../..');
/** Screenshots for people to look at (gitignored); the best are copied by hand to docs/images/. */
const ARTIFACTS = join(ROOT, 'artifacts', 'monitoring');
const run = promisify(execFile);

const VIEWPORTS = [
  { name: '1366', width: 1366, height: 900 },
  { name: '390', width: 390, height: 844 },
] as const;
type Viewport = (typeof VIEWPORTS)[number];

const PAGES = [
  { path: '/monitoring', name: 'dashboard' },
  { path: '/monitoring/drift', name: 'drift-report' },
] as const;

/** The panels each page shows exactly once. */
const PANELS = {
  '/monitoring': ['drift', 'prediction-drift', 'drift-history', 'shadow', 'alerts', 'traffic'],
  '/monitoring/drift': ['verdict', 'inputs', 'prediction-drift', 'drift-history'],
} as const;

/**
 * The dashboard and the drift report in Chromium, on the service as `npm start` runs it on its embedded defaults
 * (with a shadow model, and a drift evaluation kept every second so that the history fills quickly): before any
 * traffic, after the simulator sends patients like the training data, and after `simulate:drift`'s options (AGE
 * stepped to 75). At a laptop's width and a phone's: nothing wider than the screen, no serious or critical axe-core
 * violation, each panel once, the verdict as the API gives it.
 */
describe('Monitoring in a browser, with the simulator', () => {
  let service: ServiceProcess;
  let url: string;
  let browser: Browser;
  /** document.documentElement.scrollWidth of each page, each width and each state (written to the artifacts). */
  const widths: Record<string, number> = {};

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    service = startService({
      SHADOW_MODEL: 'random_forest',
      DRIFT_EVALUATE_SECONDS: '1',
      DRIFT_WINDOW_SIZE: '300',
      DRIFT_MIN_SAMPLES: '100',
    });
    [url, browser] = await Promise.all([service.url, launchChromium()]);
  });
  afterAll(async () => {
    writeFileSync(join(ARTIFACTS, 'widths.json'), `${JSON.stringify(widths, null, 2)}\n`);
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

  async function json<T>(path: string): Promise<T> {
    const res = await fetch(`${url}${path}`);
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  }

  /**
   * Waits until the log view holds `count` entries: entries are written after their responses (and their shadow
   * runs), so the simulator may be done before the window is complete.
   */
  function logged(count: number): Promise<number> {
    return waitFor(
      `${count} entries in the log view`,
      async () => {
        const { total } = await json<{ total: number }>('/logs?limit=1');
        return total >= count ? total : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
  }

  /** Kept evaluations that judged a window of the current traffic (status ok), at least `count` of them. */
  function judgedEvaluations(count: number, since: number): Promise<DriftEvaluation[]> {
    return waitFor(
      `${count} judged drift evaluations kept since the traffic`,
      async () => {
        const { evaluations } = await json<{ evaluations: DriftEvaluation[] }>('/drift/history');
        const judged = evaluations.filter((e) => e.status === 'ok' && Date.parse(e.timestamp) >= since);
        return judged.length >= count ? evaluations : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
  }

  /** A page in a fresh context; its script errors and CSP violations are collected in `errors`. */
  async function open(
    path: string,
    viewport: Viewport,
    javaScriptEnabled: boolean,
    errors: string[],
  ): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: viewport.width, height: viewport.height },
      javaScriptEnabled,
      isMobile: viewport.width < 500,
      hasTouch: viewport.width < 500,
    });
    context.setDefaultTimeout(30_000);
    const page = await context.newPage();
    page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') {
        errors.push(`console: ${message.text()}`);
      }
    });
    const res = await page.goto(`${url}${path}`);
    expect(res?.status()).toBe(200);
    return page;
  }

  /** Every table of numbers opened, so that their width counts too. */
  const openAllDetails = (page: Page): Promise<unknown> =>
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })");

  const scrollWidth = async (page: Page): Promise<number> =>
    Number(await page.evaluate('document.documentElement.scrollWidth'));

  /** Serious and critical axe-core violations, as `rule: targets` lines for a readable failure. */
  async function seriousViolations(page: Page): Promise<string[]> {
    const { violations } = await new AxeBuilder({ page }).analyze();
    return violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }

  async function screenshot(page: Page, name: string): Promise<void> {
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });
  }

  /**
   * Each page at each width, without JavaScript: no sideways scroll (tables closed and opened), each panel once, the
   * verdict as the API gives it; with JavaScript: no serious or critical axe-core violation, no script or CSP error.
   */
  async function checkPages(state: string, verdicts: Record<string, string>): Promise<void> {
    for (const viewport of VIEWPORTS) {
      for (const { path, name } of PAGES) {
        const errors: string[] = [];
        const page = await open(path, viewport, false, errors);
        const where = `${name} at ${viewport.width} px (${state})`;
        const closed = await scrollWidth(page);
        await screenshot(page, `${name}-${state}-${viewport.name}.png`);
        await openAllDetails(page);
        const opened = await scrollWidth(page);
        widths[`${name} ${state} ${viewport.width}`] = closed;
        widths[`${name} ${state} ${viewport.width}, tables open`] = opened;
        expect([where, closed <= viewport.width, opened <= viewport.width]).toEqual([where, true, true]);
        for (const panel of PANELS[path]) {
          expect([where, panel, await page.locator(`[data-panel="${panel}"]`).count()]).toEqual([
            where,
            panel,
            1,
          ]);
        }
        expect(await page.locator('[data-verdict]').textContent()).toBe(verdicts[path]);
        await page.context().close();

        const scripted = await open(path, viewport, true, errors);
        expect([where, await seriousViolations(scripted)]).toEqual([where, []]);
        await openAllDetails(scripted);
        expect([`${where}, tables open`, await seriousViolations(scripted)]).toEqual([
          `${where}, tables open`,
          [],
        ]);
        await scripted.context().close();
        expect(errors).toEqual([]);
      }
    }
  }

  /** Before any traffic. */
  async function emptyState(): Promise<void> {
    for (const viewport of VIEWPORTS) {
      const errors: string[] = [];
      const page = await open('/monitoring', viewport, false, errors);
      expect(await page.locator('[data-drift]').getAttribute('data-drift')).toBe('unknown');
      expect(await page.locator('[data-verdict]').textContent()).toMatch(/^Not enough data: 0 predictions/);
      expect(await page.locator('[data-window]').textContent()).toMatch(/^No request logged yet\./);
      expect(await page.locator('svg.chart').count()).toBe(0);
      expect(await page.locator('[data-empty]').first().textContent()).toMatch(/^No data yet/);
      expect(await scrollWidth(page)).toBeLessThanOrEqual(viewport.width);
      await screenshot(page, `dashboard-empty-${viewport.name}.png`);
      await page.context().close();
      // axe-core runs in the page: with JavaScript.
      const scripted = await open('/monitoring', viewport, true, errors);
      expect(await seriousViolations(scripted)).toEqual([]);
      await scripted.context().close();
      expect(errors).toEqual([]);
    }
  }

  /** Training-like traffic: no sideways scroll, axe clean, every panel, the verdict. */
  async function calmState(): Promise<void> {
    // Spread over about 20 s, so that the time charts have several 10 s periods to show.
    const calm = await simulate(
      ...['--requests', '300', '--users', '5', '--delay', '0.3', '--profile', 'training', '--seed', '7'],
    );
    expect(calm).toMatchObject({ total: 300, succeeded: 300 });
    await logged(300);
    await judgedEvaluations(3, Date.now());
    const summary = await json<MonitoringSummary>('/monitoring/summary');
    const report = await json<DriftReport>('/drift');
    expect(summary.window).toMatchObject({ predictions: 300, max_predictions: 300 });
    expect(summary.shadow).toMatchObject({ shadow_model: 'random_forest', compared: 300 });
    await checkPages('no-drift', {
      '/monitoring': summary.drift.verdict,
      '/monitoring/drift': report.verdict,
    });

    const errors: string[] = [];
    const page = await open('/monitoring', VIEWPORTS[0], false, errors);
    expect(await page.locator('[data-window]').textContent()).toMatch(
      /^The newest 300 predictions \(DRIFT_WINDOW_SIZE\) and the 300 requests since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC, to \d\d:\d\d:\d\d\.$/,
    );
    const shadow = page.locator('[data-panel="shadow"]');
    expect(await shadow.textContent()).toContain('Agreement');
    expect(await shadow.textContent()).toMatch(/Compared\s*300 predictions/);
    expect(await page.locator('[data-prediction-level]').count()).toBe(1);
    expect(await page.locator('[data-chart="drift-history"] svg.chart').count()).toBe(1);
    expect(await page.locator('[data-chart="latency"] figcaption').textContent()).toContain('per 10 s');
    await page.context().close();
    const drift = await open('/monitoring/drift', VIEWPORTS[0], false, errors);
    expect(await drift.locator('[data-chart="history-age"] svg.chart').count()).toBe(2);
    expect(await drift.locator('[data-chart="history-prediction"] svg.chart').count()).toBe(2);
    expect(await drift.locator('tr[data-feature]').count()).toBe(15);
    await drift.context().close();
    expect(errors).toEqual([]);
  }

  /** With JavaScript the dashboard refreshes itself every 5 s, keeping an opened table open. */
  async function refreshes(): Promise<void> {
    const errors: string[] = [];
    const page = await open('/monitoring', VIEWPORTS[0], true, errors);
    const updated = page.locator('main .meta').first();
    const before = await updated.textContent();
    await page.locator('#numbers-requests summary').click();
    await waitFor('the dashboard to refresh itself', async () => (await updated.textContent()) !== before, {
      timeoutMs: 15_000,
      intervalMs: 200,
    });
    expect(await page.locator('#numbers-requests').getAttribute('open')).toBe('');
    await page.context().close();
    expect(errors).toEqual([]);
  }

  /** After simulate:drift (AGE stepped to 75): AGE in DRIFT on both pages. */
  async function driftedState(): Promise<void> {
    const drifted = await simulate(
      ...['--requests', '200', '--users', '5', '--delay', '0.3', '--profile', 'training', '--seed', '8'],
      ...['--enable-age-drift', '--age-drift-target', '75', '--drift-mode', 'step'],
    );
    expect(drifted).toMatchObject({ total: 200, succeeded: 200 });
    await logged(500);
    await judgedEvaluations(3, Date.now());
    const summary = await json<MonitoringSummary>('/monitoring/summary');
    const report = await json<DriftReport>('/drift');
    expect(summary.drift.features_in_drift).toContain('AGE');
    await checkPages('age-drift', {
      '/monitoring': summary.drift.verdict,
      '/monitoring/drift': report.verdict,
    });

    const errors: string[] = [];
    const dashboard = await open('/monitoring', VIEWPORTS[0], false, errors);
    expect(await dashboard.locator('[data-testid="drift-features"]').textContent()).toContain('AGE');
    expect(await dashboard.locator('[data-drift]').getAttribute('data-drift')).toMatch(
      /^(warning|critical)$/,
    );
    await dashboard.context().close();
    const page = await open('/monitoring/drift', VIEWPORTS[1], false, errors);
    expect(await page.locator('tr[data-feature="AGE"]').getAttribute('data-level')).toBe('DRIFT');
    expect(await page.locator('[data-verdict]').textContent()).toMatch(/AGE.* drifted/);
    expect(
      await page.locator('[data-chart="distribution-age"] svg.chart rect').count(),
    ).toBeGreaterThanOrEqual(18);
    await page.context().close();
    expect(errors).toEqual([]);
  }

  // One scenario in one test: its states follow one another (the suite runs with --randomize).
  it('shows not enough data, then calm traffic, then AGE in DRIFT, at 1366 and 390 px', async () => {
    await emptyState();
    await calmState();
    await refreshes();
    await driftedState();
  }, 480_000);
});
