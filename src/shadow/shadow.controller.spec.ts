import { predictionEntry, shadow } from '../../test/support/log-shipping/entries';
import { AppConfig } from '../config/app-config';
import { validateEnv } from '../config/env.schema';
import { storedEntry } from '../log-store/log-entry';
import { MemoryLogStore } from '../log-store/memory-log-store';
import { ShadowController } from './shadow.controller';
import type { ShadowService } from './shadow.service';

describe(ShadowController.name, () => {
  const counters = { model: 'random_forest', ran: 3, dropped: 0, failed: 0, disagreed: 1 };
  const service = { stats: () => counters } as unknown as ShadowService;

  it('compares the newest DRIFT_WINDOW_SIZE shadowed predictions of the request log', async () => {
    const store = new MemoryLogStore({ viewMaxSize: 1000, bufferMax: 1000 });
    // Oldest first: two disagreeing, nine agreeing, one disagreeing; the window holds the newest ten.
    const entry = (id: string, prediction: 0 | 1) =>
      predictionEntry({
        data: { transaction_id: id, shadow: shadow({ prediction, probability: prediction }) },
      });
    await store.append(
      [
        entry('old-1', 0),
        entry('old-2', 0),
        ...Array.from({ length: 9 }, (_, i) => entry(`agreeing-${i}`, 1)),
        entry('newest', 0),
      ].map(storedEntry),
    );
    const env = { DRIFT_WINDOW_SIZE: '10', DRIFT_MIN_SAMPLES: '10', SHADOW_MODEL: 'random_forest' };
    const comparison = await new ShadowController(service, store, new AppConfig(validateEnv(env))).compare();
    expect(comparison).toMatchObject({
      shadow_model: 'random_forest',
      window: 10,
      compared: 10,
      agreement_rate: 0.9,
      disagreement_count: 1,
      since_start: counters,
    });
    expect(comparison.disagreements.map((d) => d.transaction_id)).toEqual(['newest']);
  });

  it('answers 503 when the request log cannot be read', async () => {
    const store = new MemoryLogStore({ viewMaxSize: 10, bufferMax: 10 });
    store.list = () => Promise.reject(new Error('connection lost'));
    const controller = new ShadowController(service, store, new AppConfig(validateEnv({})));
    await expect(controller.compare()).rejects.toThrow('The request log cannot be read now: connection lost');
  });
});
