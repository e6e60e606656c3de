import type { Response } from 'express';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { driftEvaluation } from '../../test/support/log-shipping/entries';
import { RequestValidationException } from '../common/api-errors';
import { PACKAGE } from '../common/package-info';
import { AppConfig } from '../config/app-config';
import { validateEnv } from '../config/env.schema';
import type { ShippingStatus } from '../log-shipping/log-shipping.service';
import type { ModelCard } from '../model-pool/model-card';
import { PAGE_HEADERS } from '../web/form.controller';
import { cardReference, type ReferenceChoiceRequest } from './drift.reference';
import { detectDrift, type DriftReport } from './drift.engine';
import { type DriftService, ReferenceUnavailableError } from './drift.service';
import { MonitoringController } from './monitoring.controller';
import { HISTORY_SHOWN_MS, type MonitoringService } from './monitoring.service';
import { dashboardPage, driftPage } from './monitoring.pages';
import { type MonitoringSummary, summarise } from './monitoring.summary';

const card = JSON.parse(
  readFileSync(join(__dirname, '../../model/logistic_regression.card.json'), 'utf8'),
) as ModelCard;
const reference = cardReference(card);
const defaultReport = { status: 'ok', verdict: 'No drift' } as unknown as DriftReport;
const defaultSummary = {
  generated_at: '2026-12-07T10:00:00.000Z',
  alerts_window_minutes: 5,
  alerts: [{ name: 'latency_ms', level: 'OK' }],
} as unknown as MonitoringSummary;

/** A controller over stand-ins that record what they were asked. */
function controllerOf({
  choose = () => Promise.resolve({ reference, source: 'chosen at run time' }),
  report = defaultReport,
  summary = defaultSummary,
}: {
  choose?: (choice: ReferenceChoiceRequest) => Promise<unknown>;
  report?: DriftReport;
  summary?: MonitoringSummary;
} = {}) {
  const asked: { report: (string | undefined)[]; history: number[]; chosen: ReferenceChoiceRequest[] } = {
    report: [],
    history: [],
    chosen: [],
  };
  const drift = {
    report: (since?: string) => {
      asked.report.push(since);
      return Promise.resolve(report);
    },
    history: (sinceMs: number) => {
      asked.history.push(sinceMs);
      return Promise.resolve([driftEvaluation()]);
    },
    reference: () => Promise.resolve({ reference, source: 'DRIFT_REFERENCE' }),
    choose: (choice: ReferenceChoiceRequest) => {
      asked.chosen.push(choice);
      return choose(choice);
    },
  } as unknown as DriftService;
  const monitoring = { summary: () => Promise.resolve(summary) } as unknown as MonitoringService;
  return { controller: new MonitoringController(monitoring, drift), asked };
}

/** A response that renders `view` as `<view>:<keys of the model>` (or fails with `renderError`). */
function fakeResponse(renderError?: Error) {
  const sent: {
    view?: string;
    model?: Record<string, unknown>;
    status?: number;
    headers: Record<string, string>;
    type?: string;
    body?: string;
  } = {
    headers: {},
  };
  const res = {
    render: (
      view: string,
      model: Record<string, unknown>,
      done: (e: Error | null, html?: string) => void,
    ) => {
      sent.view = view;
      sent.model = model;
      done(renderError ?? null, renderError ? undefined : `<html>${view}</html>`);
    },
    status(code: number) {
      sent.status = code;
      return this;
    },
    set(name: string | Record<string, string>, value?: string) {
      Object.assign(sent.headers, typeof name === 'string' ? { [name]: value } : name);
      return this;
    },
    type(type: string) {
      sent.type = type;
      return this;
    },
    send(body: string) {
      sent.body = body;
      return this;
    },
  };
  return { res: res as unknown as Response, sent };
}

describe(MonitoringController.name, () => {
  it('judges drift over the last window, or over the predictions since a time (normalised to UTC)', async () => {
    const { controller, asked } = controllerOf();
    expect(await controller.report({})).toBe(defaultReport);
    await controller.report({ since: '2026-12-07 09:00:00' });
    await controller.report({ since: ['2026-12-06T09:00:00Z', '2026-12-07T09:30:00+01:00'] });
    expect(asked.report).toEqual([undefined, '2026-12-07T09:00:00.000Z', '2026-12-07T08:30:00.000Z']);
  });

  it('refuses a `since` that is not a time with a 422 saying where', async () => {
    const { controller, asked } = controllerOf();
    let error: unknown;
    try {
      await controller.report({ since: 'yesterday' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RequestValidationException);
    expect((error as RequestValidationException).detail).toEqual([
      expect.objectContaining({ loc: ['query', 'since'], input: 'yesterday' }),
    ]);
    await expect(controller.history({ since: 'yesterday' })).rejects.toBeInstanceOf(
      RequestValidationException,
    );
    expect(asked.report).toEqual([]);
    expect(asked.history).toEqual([]);
  });

  it('lists the kept evaluations of the last 24 hours, or since a time', async () => {
    const { controller, asked } = controllerOf();
    const before = Date.now();
    expect(await controller.history({})).toEqual({ evaluations: [driftEvaluation()] });
    await controller.history({ since: '2026-12-07T09:00:00Z' });
    expect(asked.history[0]).toBeGreaterThanOrEqual(before - HISTORY_SHOWN_MS);
    expect(asked.history[0]).toBeLessThanOrEqual(Date.now() - HISTORY_SHOWN_MS);
    expect(asked.history[1]).toBe(Date.parse('2026-12-07T09:00:00Z'));
  });

  it('describes the reference in force without its counts, and where the choice comes from', async () => {
    const { age: _age, ones: _ones, ...described } = reference;
    expect(await controllerOf().controller.reference()).toEqual({
      source: 'DRIFT_REFERENCE',
      reference: described,
    });
  });

  it('chooses a reference, answering what is now in force', async () => {
    const { controller, asked } = controllerOf();
    const { age: _age, ones: _ones, ...described } = reference;
    expect(await controller.chooseReference({ reference: 'card' })).toEqual({
      source: 'chosen at run time',
      reference: described,
    });
    expect(asked.chosen).toEqual([{ kind: 'card' }]);
  });

  it('refuses a bad choice with a 422 before asking for it', async () => {
    const { controller, asked } = controllerOf();
    const error = (await controller
      .chooseReference({ reference: 'best' })
      .catch((e: unknown) => e)) as RequestValidationException;
    expect(error).toBeInstanceOf(RequestValidationException);
    expect(error.detail).toEqual([
      expect.objectContaining({ loc: ['body', 'reference'], type: 'literal_error' }),
    ]);
    expect(asked.chosen).toEqual([]);
  });

  it('answers a window too thin to be a reference with a 422 giving the reason, and lets other errors through', async () => {
    const thin = controllerOf({
      choose: () => Promise.reject(new ReferenceUnavailableError('only 3 predictions in the window')),
    });
    const choice = { reference: 'window', from: '2026-12-01T08:00:00Z', to: '2026-12-01T09:00:00Z' };
    const error = (await thin.controller
      .chooseReference(choice)
      .catch((e: unknown) => e)) as RequestValidationException;
    expect(error).toBeInstanceOf(RequestValidationException);
    expect(error.detail).toEqual([
      { loc: ['body'], msg: 'only 3 predictions in the window', type: 'value_error' },
    ]);
    const broken = controllerOf({ choose: () => Promise.reject(new Error('store down')) });
    await expect(broken.controller.chooseReference(choice)).rejects.toThrow(new Error('store down'));
  });

  it('serves the summary, and its alerts with the window they are judged over', async () => {
    const { controller } = controllerOf();
    expect(await controller.summary()).toBe(defaultSummary);
    expect(await controller.alerts()).toEqual({
      generated_at: '2026-12-07T10:00:00.000Z',
      window_minutes: 5,
      alerts: [{ name: 'latency_ms', level: 'OK' }],
    });
  });

  it('renders the dashboard and the drift report as pages that are never cached', async () => {
    const settings = new AppConfig(validateEnv({})).drift;
    const empty = detectDrift(reference, [], settings, new Date('2026-12-07T10:00:00Z'));
    const shipping = {
      sink: 'ndjson',
      pending: 0,
      dropped: 0,
      last_run_at: null,
      last_outcome: null,
      dead_lettered: 0,
      oldest_unshipped_age_seconds: null,
    } as unknown as ShippingStatus;
    const figures = summarise(
      {
        newestFirst: [],
        drift: empty,
        history: [],
        shipping,
        shadow: null,
        alerts: [],
        alertsWindowMinutes: 5,
      },
      new Date('2026-12-07T10:00:00Z'),
    );
    const { controller, asked } = controllerOf({ report: empty, summary: figures });
    const dashboard = fakeResponse();
    await controller.dashboard(dashboard.res);
    expect(dashboard.sent.model).toEqual(dashboardPage(figures, PACKAGE.version));
    const drift = fakeResponse();
    const before = Date.now();
    await controller.driftReport({ since: '2026-12-07T09:00:00Z' }, drift.res);
    expect(drift.sent.model).toEqual(driftPage(empty, [driftEvaluation()], PACKAGE.version));
    expect(asked.report).toEqual(['2026-12-07T09:00:00.000Z']);
    expect(asked.history[0]).toBeGreaterThanOrEqual(before - HISTORY_SHOWN_MS);
    expect(asked.history[0]).toBeLessThanOrEqual(Date.now() - HISTORY_SHOWN_MS);
    for (const [view, { sent }] of [
      ['monitoring', dashboard],
      ['drift', drift],
    ] as const) {
      expect(sent).toMatchObject({
        view,
        status: 200,
        type: 'html',
        body: `<html>${view}</html>`,
        headers: { ...PAGE_HEADERS, 'Cache-Control': 'no-store' },
      });
    }
  });

  it('fails the page, sending nothing, when the view cannot be rendered', async () => {
    const settings = new AppConfig(validateEnv({})).drift;
    const empty = detectDrift(reference, [], settings, new Date('2026-12-07T10:00:00Z'));
    const { controller } = controllerOf({ report: empty });
    const failing = fakeResponse(new Error('no such view'));
    await expect(controller.driftReport({}, failing.res)).rejects.toThrow('no such view');
    expect(failing.sent.body).toBeUndefined();
  });
});
