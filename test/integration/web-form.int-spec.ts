import AxeBuilder from '@axe-core/playwright';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { close, createTestApp, listen, ROOT } from '../e2e/support/test-app';
import type { InputField } from '../../src/features/features';
import { EXAMPLE_REQUEST } from '../../src/prediction/predict-request.dto';
import { MESSAGES } from '../../src/web/form.i18n';
import { launchChromium } from '../support/browser';

/** Screenshots for people to look at (gitignored). */
const ARTIFACTS = join(ROOT, 'artifacts', 'web');

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 375, height: 812 };

/** The reference example: a 65-year-old male smoker with eight of the thirteen boxes ticked. */
const EXAMPLE = {
  age: '65',
  gender: { fr: 'Masculin', en: 'Male' },
  boxes: {
    fr: [
      'Fumeur',
      "Consommation d'alcool",
      'Doigts jaunes',
      'Fatigue chronique',
      'Respiration sifflante',
      'Toux persistante',
      'Essoufflement',
      'Douleur thoracique',
    ],
    en: [
      'Smoker',
      'Alcohol consumption',
      'Yellow fingers',
      'Chronic fatigue',
      'Wheezing',
      'Persistent cough',
      'Shortness of breath',
      'Chest pain',
    ],
  },
  json: { ...EXAMPLE_REQUEST },
};

type Lang = 'fr' | 'en';

const SUBMIT = { fr: 'Évaluer le risque', en: 'Assess the risk' };
const LEVELS = {
  fr: { low: 'FAIBLE', moderate: 'MODÉRÉ', high: 'ÉLEVÉ' },
  en: { low: 'LOW', moderate: 'MODERATE', high: 'HIGH' },
};

const percent = (p: number, lang: Lang): string =>
  new Intl.NumberFormat(lang === 'fr' ? 'fr-FR' : 'en-GB', {
    style: 'percent',
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  }).format(p);

interface ApiPrediction {
  probability: number;
  threshold: number;
  risk_level: 'low' | 'moderate' | 'high';
  model: string;
}

describe('form page in Chromium (integration)', () => {
  let app: NestExpressApplication;
  let base: string;
  let browser: Browser;
  /** Errors the pages raised (script errors, CSP violations), checked after each test. */
  let pageErrors: string[];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    app = await createTestApp();
    base = await listen(app);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await close(app);
  });

  beforeEach(() => {
    pageErrors = [];
  });

  afterEach(() => {
    expect(pageErrors).toEqual([]);
  });

  async function open(options: BrowserContextOptions & { path?: string } = {}): Promise<Page> {
    const context = await browser.newContext({ viewport: DESKTOP, locale: 'fr-FR', ...options });
    context.setDefaultTimeout(30_000);
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      // A 422 or 503 page is an expected answer, not an error of the page.
      if (message.type() === 'error' && !/status of (422|503)/.test(message.text())) {
        pageErrors.push(`console: ${message.text()}`);
      }
    });
    await page.goto(`${base}${options.path ?? '/'}`);
    return page;
  }

  async function fillExample(page: Page, lang: Lang, boxes = EXAMPLE.boxes[lang]): Promise<void> {
    await page.getByLabel(lang === 'fr' ? 'Âge' : 'Age', { exact: true }).fill(EXAMPLE.age);
    await page.getByLabel(EXAMPLE.gender[lang], { exact: true }).check();
    for (const box of boxes) {
      await page.getByLabel(box, { exact: true }).check();
    }
  }

  async function apiPredict(model: string): Promise<ApiPrediction> {
    const res = await fetch(`${base}/predict?model_type=${model}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(EXAMPLE.json),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as ApiPrediction;
  }

  /** The id of the focused element. */
  function focusedId(page: Page): Promise<string | null> {
    return page.locator(':focus').getAttribute('id');
  }

  async function screenshot(page: Page, name: string): Promise<void> {
    // From the top, so the sticky result column sits where a visitor first sees it. Page code is given as strings:
    // this project compiles without the DOM types.
    await page.evaluate('window.scrollTo(0, 0)');
    // Away from the page, so no element shows its hover state.
    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });
  }

  /** Serious and critical axe-core violations, as `rule: targets` lines for a readable failure. */
  async function seriousViolations(page: Page): Promise<string[]> {
    const { violations } = await new AxeBuilder({ page }).analyze();
    return violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }

  it('fills the form, submits without reloading and shows what the JSON API answers', async () => {
    const page = await open();
    await page.evaluate("document.documentElement.setAttribute('data-loaded-once', '')");
    await fillExample(page, 'fr');
    await page.getByRole('radio', { name: /Forêt aléatoire/ }).check();
    await page.getByRole('button', { name: SUBMIT.fr }).click();

    const api = await apiPredict('random_forest');
    const heading = page.locator('#result h2');
    await heading.filter({ hasText: 'Risque de cancer du poumon' }).waitFor();
    expect(await heading.textContent()).toBe(`Risque de cancer du poumon : ${LEVELS.fr[api.risk_level]}`);
    expect(await page.locator('[data-probability]').textContent()).toBe(percent(api.probability, 'fr'));
    expect(await page.locator('[data-threshold]').textContent()).toBe(percent(api.threshold, 'fr'));
    expect(await page.locator('#result').textContent()).toContain(api.model);
    expect(await page.locator('[data-marker]').getAttribute('x')).toBe(
      `${(api.probability * 100).toFixed(1)}%`,
    );
    expect(await page.locator('[data-transaction-id]').textContent()).toMatch(/^[0-9a-f-]{36}$/);
    expect(await page.locator('#result').textContent()).toContain('ne remplace pas un diagnostic médical');
    // Same document (no reload), answers still there, and the result heading has the focus for screen readers.
    expect(await page.locator('html[data-loaded-once]').count()).toBe(1);
    expect(await page.getByLabel('Âge', { exact: true }).inputValue()).toBe('65');
    expect(await focusedId(page)).toBe('result-title');
    expect(await page.title()).toContain(LEVELS.fr[api.risk_level]);
    await screenshot(page, 'form-desktop.png');
    await page.context().close();
  });

  it('works with JavaScript disabled, on a phone: plain POST, result rendered by the server, answers kept', async () => {
    const page = await open({ javaScriptEnabled: false, viewport: PHONE, isMobile: true, hasTouch: true });
    // The slider needs the script; without it only the number input shows.
    expect(await page.locator('[data-age-slider]').isVisible()).toBe(false);
    await fillExample(page, 'fr');
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.getByRole('button', { name: SUBMIT.fr }).click(),
    ]);
    expect(response.status()).toBe(200);
    await page.waitForURL(/#result$/);

    const api = await apiPredict('logistic_regression');
    expect(await page.locator('#result h2').textContent()).toBe(
      `Risque de cancer du poumon : ${LEVELS.fr[api.risk_level]}`,
    );
    expect(await page.locator('[data-probability]').textContent()).toBe(percent(api.probability, 'fr'));
    expect(await page.getByLabel('Âge', { exact: true }).inputValue()).toBe('65');
    for (const box of EXAMPLE.boxes.fr) {
      expect([box, await page.getByLabel(box, { exact: true }).isChecked()]).toEqual([box, true]);
    }
    expect(await page.getByLabel('Anxiété', { exact: true }).isChecked()).toBe(false);
    expect(await page.getByLabel('Masculin', { exact: true }).isChecked()).toBe(true);
    // Readable at 375 px: nothing wider than the screen.
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
    await screenshot(page, 'form-phone.png');
    await page.context().close();
  });

  it.each(['fr', 'en'] as const)(
    'says which answers weighed most (%s), without JavaScript, as the API explains it',
    async (lang) => {
      const page = await open({ javaScriptEnabled: false, path: `/?lang=${lang}`, locale: lang });
      await fillExample(page, lang);
      await page.getByRole('button', { name: SUBMIT[lang] }).click();
      await page.waitForURL(/#result$/);
      const res = await fetch(`${base}/predict?explain=true`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(EXAMPLE.json),
      });
      const { explanation } = (await res.json()) as {
        explanation: { contributions: { answer: InputField; contribution: number }[] };
      };
      const top = (sign: 1 | -1): string[] =>
        explanation.contributions
          .filter((c) => sign * c.contribution > 0)
          .sort((a, b) => sign * (b.contribution - a.contribution))
          .slice(0, 3)
          .map((c) => MESSAGES[lang].fields[c.answer]);
      const drivers = page.locator('[data-drivers]');
      expect(await drivers.locator('h3').textContent()).toBe(MESSAGES[lang].drivers.heading);
      const shown = async (list: string): Promise<string[]> =>
        (await drivers.locator(`[data-${list}] li`).allTextContents()).map((text) => text.trim());
      const raising = await shown('raising');
      const lowering = await shown('lowering');
      expect(raising.length).toBeGreaterThan(0);
      // Each line names the answer (with its value where it is not a ticked box that raised the risk).
      expect(raising.map((text, i) => text.startsWith(top(1)[i]))).toEqual(raising.map(() => true));
      expect(lowering.map((text, i) => text.startsWith(top(-1)[i]))).toEqual(lowering.map(() => true));
      expect(await drivers.isVisible()).toBe(true);
      await screenshot(page, `form-explanation-${lang}.png`);
      await page.context().close();
    },
  );

  it('refuses fewer than 3 ticked boxes with the reference message, with and without JavaScript', async () => {
    const noScript = await open({ javaScriptEnabled: false });
    await fillExample(noScript, 'fr', ['Fumeur', 'Toux persistante']);
    const [response] = await Promise.all([
      noScript.waitForResponse((r) => r.request().method() === 'POST'),
      noScript.getByRole('button', { name: SUBMIT.fr }).click(),
    ]);
    expect(response.status()).toBe(422);
    const message =
      /^Pas assez d'informations pour effectuer une prédiction .*Actuellement : 2 symptôme\(s\) coché\(s\)$/;
    expect((await noScript.locator('#boxes-error').textContent())?.trim()).toMatch(message);
    expect(await noScript.locator('.risk-banner').count()).toBe(0);
    await noScript.context().close();

    const page = await open();
    await fillExample(page, 'fr', ['Fumeur', 'Toux persistante']);
    await page.getByRole('button', { name: SUBMIT.fr }).click();
    await page.locator('#boxes-error').filter({ hasText: 'Pas assez' }).waitFor();
    expect((await page.locator('#boxes-error').textContent())?.trim()).toMatch(message);
    expect(await page.locator('#result').textContent()).toContain('Actuellement : 2 symptôme(s) coché(s)');
    expect(await focusedId(page)).toBe('result-title');
    await screenshot(page, 'form-desktop-refused.png');

    // Ticking a third box and submitting again clears the message and shows a result.
    await page.getByLabel('Douleur thoracique', { exact: true }).check();
    await page.getByRole('button', { name: SUBMIT.fr }).click();
    await page.locator('.risk-banner').waitFor();
    expect(await page.locator('#boxes-error').isVisible()).toBe(false);
    await page.context().close();
  });

  it('shows an out-of-range age next to the field and marks it invalid', async () => {
    const page = await open();
    await fillExample(page, 'fr');
    await page.getByLabel('Âge', { exact: true }).fill('150');
    await page.getByRole('button', { name: SUBMIT.fr }).click();
    const error = page.locator('#f-age-error');
    await error.filter({ hasText: 'âge' }).waitFor();
    expect(await error.textContent()).toBe("L'âge doit être un nombre entier de 0 à 120 ans.");
    const age = page.getByLabel('Âge', { exact: true });
    expect(await age.getAttribute('aria-invalid')).toBe('true');
    expect(await age.getAttribute('aria-describedby')).toContain('f-age-error');
    expect(await page.locator('.risk-banner').count()).toBe(0);
    await page.context().close();
  });

  it('switches language with the link, and follows Accept-Language otherwise', async () => {
    const page = await open({ locale: 'de-DE' });
    expect(await page.locator('html').getAttribute('lang')).toBe('fr');
    expect(await page.locator('h1').textContent()).toBe('Évaluation du risque de cancer du poumon');
    await page.getByRole('link', { name: 'English' }).click();
    await page.waitForURL(/\?lang=en$/);
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.locator('h1').textContent()).toBe('Lung cancer risk assessment');
    await fillExample(page, 'en');
    await page.getByRole('button', { name: SUBMIT.en }).click();
    await page.locator('.risk-banner').waitFor();
    expect(await page.locator('#result h2').textContent()).toMatch(/^Lung cancer risk: (LOW|MODERATE|HIGH)$/);
    expect(await page.locator('#result').textContent()).toContain('0% (Low)');
    await page.getByRole('link', { name: 'Français' }).click();
    await page.waitForURL(/\?lang=fr$/);
    expect(await page.locator('h1').textContent()).toBe('Évaluation du risque de cancer du poumon');
    await page.context().close();

    const english = await open({ locale: 'en-US' });
    expect(await english.locator('html').getAttribute('lang')).toBe('en');
    await english.context().close();
  });

  it('can be filled and submitted with the keyboard alone', async () => {
    const page = await open();
    await page.keyboard.press('Tab');
    expect(await page.locator(':focus').textContent()).toBe('Aller au questionnaire');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    expect(await focusedId(page)).toBe('f-age');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('72');
    await page.keyboard.press('Tab'); // the slider
    await page.keyboard.press('Tab'); // the gender group
    await page.keyboard.press('ArrowRight'); // Féminin → Masculin
    for (let box = 0; box < 4; box += 1) {
      await page.keyboard.press('Tab');
      await page.keyboard.press('Space');
    }
    for (let presses = 0; presses < 20; presses += 1) {
      if ((await page.locator(':focus[data-submit]').count()) === 1) {
        break;
      }
      await page.keyboard.press('Tab');
    }
    await page.keyboard.press('Enter');
    await page.locator('.risk-banner').waitFor();
    expect(await page.getByLabel('Masculin', { exact: true }).isChecked()).toBe(true);
    expect(await page.locator('#f-age').inputValue()).toBe('72');
    expect(await page.locator('[data-ticked-count]').textContent()).toBe('4 case(s) cochée(s) sur 13');
    expect(await focusedId(page)).toBe('result-title');
    await page.context().close();
  });

  it.each([
    ['the blank form', 'fr', DESKTOP, undefined],
    ['a result', 'fr', DESKTOP, EXAMPLE.boxes.fr],
    ['a refused form', 'fr', DESKTOP, ['Fumeur']],
    ['a result in English on a phone', 'en', PHONE, EXAMPLE.boxes.en],
  ] as const)(
    'has no serious or critical axe-core violation on %s',
    async (_state, lang, viewport, boxes) => {
      const page = await open({ viewport, path: `/?lang=${lang}` });
      if (boxes) {
        await fillExample(page, lang, [...boxes]);
        await page.getByRole('button', { name: SUBMIT[lang] }).click();
        await page.locator('#result [data-focus]').waitFor();
      }
      expect(await seriousViolations(page)).toEqual([]);
      await page.context().close();
    },
  );
});
