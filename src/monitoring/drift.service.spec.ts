import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppConfig } from '../config/app-config';
import { validateEnv } from '../config/env.schema';
import { INPUT_FIELDS, type SurveyAnswers } from '../features/features';
import type { LogEntry } from '../log-store/log-entry';
import { storedEntry } from '../log-store/log-entry';
import type { LogQuery, LogStore } from '../log-store/log-store';
import { MemoryLogStore } from '../log-store/memory-log-store';
import type { ModelCard } from '../model-pool/model-card';
import type { ModelRegistry } from '../model-pool/model-registry';
import { logEntry } from '../../test/support/request-log/log-entries';
import { DriftService, MONITORING_MAX_ENTRIES } from './drift.service';

const card = JSON.parse(
  readFileSync(join(__dirname, '../../model/logistic_regression.card.json'), 'utf8'),
) as ModelCard;
const model = `${card.name}@${card.version}`;
const models = { defaultModel: () => ({ card }) } as unknown as ModelRegistry;

function service(
  env: Record<string, string> = {},
  store: LogStore = new MemoryLogStore({ viewMaxSize: 10_000, bufferMax: 10_000 }),
) {
  return { drift: new DriftService(new AppConfig(validateEnv(env)), store, models), store };
}

/** A logged /predict of these answers at this time. */
function prediction(answers: Partial<SurveyAnswers>, at: Date, result: 0 | 1 = 1): LogEntry {
  const base = Object.fromEntries(INPUT_FIELDS.map((f) => [f, f === 'AGE' ? 60 : 0]));
  const entry = logEntry({ timestamp: at.toISOString() });
  return {
    ...entry,
    data: {
      ...entry.data,
      method: 'POST',
      path: '/predict',
      status_code: 200,
      model,
      input_data: { ...base, ...answers },
      result: { prediction: result, probability: result ? 0.9 : 0.1, message: 'x' },
    },
  };
}

async function log(store: LogStore, entries: LogEntry[]): Promise<void> {
  await store.append(entries.map(storedEntry));
}

describe(DriftService.name, () => {
  it.each([
    [{}, 1000],
    [{ REDIS_LOGS_MAX_SIZE: '1000000' }, MONITORING_MAX_ENTRIES],
    [{ REDIS_LOGS_MAX_SIZE: '1000000', DRIFT_WINDOW_SIZE: '20000' }, 20_000],
  ])('with %j reads the newest %i entries of the view at most', async (env, limit) => {
    const store = new MemoryLogStore({ viewMaxSize: 10, bufferMax: 10 });
    const asked: LogQuery[] = [];
    const list = store.list.bind(store);
    store.list = (query) => {
      asked.push(query);
      return list(query);
    };
    await service(env, store).drift.report();
    expect(asked[0]!.limit).toBe(limit);
  });

  it('keeps one evaluation per period whichever replica evaluates first, queued once for shipping', async () => {
    const store = new MemoryLogStore({ viewMaxSize: 1000, bufferMax: 1000 });
    const a = service({}, store).drift;
    const b = service({}, store).drift;
    const at = new Date('2026-12-07T10:00:30Z');
    const first = await a.evaluate(at);
    const second = await b.evaluate(new Date('2026-12-07T10:00:50Z'));
    const next = await b.evaluate(new Date('2026-12-07T10:01:10Z'));
    expect([first.kept, second.kept, next.kept]).toEqual([true, false, true]);
    expect(second.evaluation.id).toBe(first.evaluation.id);
    expect(next.evaluation.id).not.toBe(first.evaluation.id);
    expect(first.evaluation).toMatchObject({
      kind: 'drift_evaluation',
      period_start: '2026-12-07T10:00:00.000Z',
      status: 'not_enough_data',
      reference: { id: `card:${model}`, kind: 'card', model },
    });
    const history = await a.history(0);
    expect(history.map((e) => e.id)).toEqual([first.evaluation.id, next.evaluation.id]);
    const queued = await store.readUnshipped(10);
    expect(queued.map((q) => JSON.parse(q.json).id)).toEqual([first.evaluation.id, next.evaluation.id]);
  });

  it('forgets evaluations older than 7 days', async () => {
    const { drift } = service();
    await drift.evaluate(new Date('2026-12-01T00:00:00Z'));
    await drift.evaluate(new Date('2026-12-07T00:00:00Z'));
    await drift.evaluate(new Date('2026-12-08T00:00:01Z'));
    expect((await drift.history(0)).map((e) => e.period_start)).toEqual([
      '2026-12-07T00:00:00.000Z',
      '2026-12-08T00:00:00.000Z',
    ]);
  });

  it('gives the newest evaluation to the gauges only while it is recent (three periods)', async () => {
    const { drift } = service();
    const { evaluation } = await drift.evaluate(new Date('2026-12-07T10:00:00Z'));
    expect(await drift.latest(Date.parse('2026-12-07T10:02:59Z'))).toEqual(evaluation);
    expect(await drift.latest(Date.parse('2026-12-07T10:03:01Z'))).toBeNull();
    expect(await service({ DRIFT_EVALUATE_SECONDS: '0' }).drift.latest()).toBeNull();
  });

  it('judges against a window of logged traffic once chosen, on every replica, and back to the card', async () => {
    const store = new MemoryLogStore({ viewMaxSize: 10_000, bufferMax: 10_000 });
    const start = Date.parse('2026-12-07T08:00:00Z');
    // A reference window of 150 patients aged 80, then 150 calm minutes of patients aged 80 too.
    await log(
      store,
      Array.from({ length: 300 }, (_, i) => prediction({ AGE: 80 }, new Date(start + i * 60_000))),
    );
    const a = service({ DRIFT_MIN_SAMPLES: '100', DRIFT_WINDOW_SIZE: '100' }, store).drift;
    const b = service({ DRIFT_MIN_SAMPLES: '100', DRIFT_WINDOW_SIZE: '100' }, store).drift;
    const byCard = await b.report();
    expect(byCard.features.find((f) => f.feature === 'AGE')!.level).toBe('DRIFT');

    const chosen = await a.choose({
      kind: 'window',
      from: '2026-12-07T08:00:00.000Z',
      to: '2026-12-07T10:29:00.000Z',
    });
    expect(chosen).toMatchObject({
      source: 'chosen at run time',
      reference: {
        kind: 'window',
        rows: 150,
        id: 'window:2026-12-07T08:00:00.000Z/2026-12-07T10:29:00.000Z',
      },
    });
    const byWindow = await b.report();
    expect(byWindow.reference.kind).toBe('window');
    expect(byWindow.features.find((f) => f.feature === 'AGE')!.level).toBe('NO');

    expect((await b.choose({ kind: 'default' })).reference.kind).toBe('card');
    expect((await a.report()).reference.kind).toBe('card');
  });

  it('refuses a window the log view no longer holds enough of, saying what to do', async () => {
    const { drift, store } = service();
    await log(store, [prediction({}, new Date('2026-12-07T08:00:00Z'))]);
    await expect(
      drift.choose({ kind: 'window', from: '2026-12-07T00:00:00.000Z', to: '2026-12-07T09:00:00.000Z' }),
    ).rejects.toThrow(/has 1 logged predictions in the log view, 100 \(DRIFT_MIN_SAMPLES\) needed/);
  });

  it('builds the window named by DRIFT_REFERENCE once and keeps it after the view has moved on', async () => {
    const store = new MemoryLogStore({ viewMaxSize: 200, bufferMax: 10_000 });
    const start = Date.parse('2026-12-07T08:00:00Z');
    await log(
      store,
      Array.from({ length: 120 }, (_, i) => prediction({ AGE: 70 }, new Date(start + i * 1000))),
    );
    const env = { DRIFT_REFERENCE: 'window:2026-12-07T08:00:00Z/2026-12-07T09:00:00Z' };
    const { drift } = service(env, store);
    expect((await drift.reference()).reference).toMatchObject({ kind: 'window', rows: 120 });
    await log(
      store,
      Array.from({ length: 200 }, (_, i) => prediction({ AGE: 50 }, new Date(start + 7200_000 + i))),
    );
    expect(await drift.reference()).toMatchObject({ source: 'DRIFT_REFERENCE', reference: { rows: 120 } });
  });
});
