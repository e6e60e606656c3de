import { AppConfig } from '../config/app-config';
import { validateEnv } from '../config/env.schema';
import type { LogShippingService } from '../log-shipping/log-shipping.service';
import { LogQuery, LogStore } from '../log-store/log-store';
import { MemoryLogStore } from '../log-store/memory-log-store';
import type { ModelRegistry } from '../model-pool/model-registry';
import { MONITORING_MAX_ENTRIES, MonitoringService } from './monitoring.service';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const card = JSON.parse(readFileSync(join(__dirname, '../../model/logistic_regression.card.json'), 'utf8'));

/** The number of entries each call asks the store for. */
async function limitAsked(env: Record<string, string>): Promise<number> {
  const store: LogStore = new MemoryLogStore({ viewMaxSize: 10, bufferMax: 10 });
  const asked: LogQuery[] = [];
  const list = store.list.bind(store);
  store.list = (query) => {
    asked.push(query);
    return list(query);
  };
  const models = { defaultModel: () => ({ card }) } as unknown as ModelRegistry;
  const service = new MonitoringService(
    new AppConfig(validateEnv(env)),
    store,
    models,
    {} as LogShippingService,
  );
  await service.drift();
  return asked[0]!.limit;
}

describe(MonitoringService.name, () => {
  it.each([
    [{}, 1000],
    [{ REDIS_LOGS_MAX_SIZE: '1000000' }, MONITORING_MAX_ENTRIES],
    [{ REDIS_LOGS_MAX_SIZE: '1000000', DRIFT_WINDOW_SIZE: '20000' }, 20_000],
  ])('with %j reads the newest %i entries of the view at most', async (env, limit) => {
    expect(await limitAsked(env)).toBe(limit);
  });
});
