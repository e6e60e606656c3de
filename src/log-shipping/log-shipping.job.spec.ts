import { Logger } from '@nestjs/common';
import { InThreadBatchEncoder } from './batch-encoder';
import { SchedulerRegistry } from '@nestjs/schedule';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { predictionEntry } from '../../test/support/log-shipping/entries';
import { AppConfig } from '../config/app-config';
import { validateEnv } from '../config/env.schema';
import { MemoryLogStore } from '../log-store/memory-log-store';
import { LogShippingJob } from './log-shipping.job';
import { ShippingClock } from './log-shipping.clock';
import { LogShippingService } from './log-shipping.service';
import { NdjsonLogSink } from './ndjson-log-sink';
import { asStored } from '../../test/support/request-log/log-entries';

describe(LogShippingJob.name, () => {
  let dir: string;
  let store: MemoryLogStore;
  let registry: SchedulerRegistry;

  const setUp = (intervalSeconds: string) => {
    const config = new AppConfig(validateEnv({ LOG_SHIP_INTERVAL_SECONDS: intervalSeconds }));
    const service = new LogShippingService(
      config,
      store,
      new NdjsonLogSink(dir),
      new InThreadBatchEncoder(),
      new ShippingClock(),
    );
    return { service, job: new LogShippingJob(config, service, registry) };
  };

  beforeAll(() => Logger.overrideLogger(false));
  beforeEach(async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    dir = await mkdtemp(join(tmpdir(), 'lungcheck-job-'));
    store = new MemoryLogStore({ viewMaxSize: 1000, bufferMax: 100_000 });
    registry = new SchedulerRegistry();
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    jest.useRealTimers();
    await rm(dir, { recursive: true, force: true });
  });

  it('asks for a run every LOG_SHIP_INTERVAL_SECONDS', async () => {
    const { service, job } = setUp('10');
    const scheduled = jest.spyOn(service, 'shipScheduled');
    await store.append(asStored([predictionEntry()]));
    job.onApplicationBootstrap();
    expect(registry.getIntervals()).toEqual([LogShippingJob.INTERVAL_NAME]);
    await jest.advanceTimersByTimeAsync(9_999);
    expect(scheduled).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(scheduled).toHaveBeenCalledTimes(1);
    await service.stop();
    expect((await store.queueStats()).pending).toBe(0);
    await jest.advanceTimersByTimeAsync(20_000);
    expect(scheduled).toHaveBeenCalledTimes(3);
    await job.onModuleDestroy();
  });

  it('schedules nothing when LOG_SHIP_INTERVAL_SECONDS is 0, and says so', () => {
    const log = jest.spyOn(Logger.prototype, 'log');
    const { job } = setUp('0');
    job.onApplicationBootstrap();
    expect(registry.getIntervals()).toEqual([]);
    expect(log).toHaveBeenCalledWith('Scheduled log shipping is off (LOG_SHIP_INTERVAL_SECONDS=0)');
  });

  it('shuts down without a schedule to stop', async () => {
    const { service, job } = setUp('0');
    job.onApplicationBootstrap();
    await expect(job.onModuleDestroy()).resolves.toBeUndefined();
    expect(await service.shipScheduled()).toBeNull();
  });

  it('skips a tick while the previous run is still going, so runs never overlap', async () => {
    const { service, job } = setUp('1');
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const read = store.readUnshipped.bind(store);
    const reads = jest.spyOn(store, 'readUnshipped').mockImplementation(async (n) => {
      await gate;
      return read(n);
    });
    const ship = jest.spyOn(service, 'ship');
    job.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(5_000);
    // The first run is held: the four ticks after it found it in progress and started nothing.
    expect(ship).toHaveBeenCalledTimes(1);
    release();
    await ship.mock.results[0]?.value;
    expect(reads).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(ship).toHaveBeenCalledTimes(2);
    await job.onModuleDestroy();
  });

  it('stops the schedule on shutdown, after letting the run in progress finish', async () => {
    const { service, job } = setUp('1');
    await store.append(asStored([predictionEntry()]));
    job.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(1_000);
    const destroyed = job.onModuleDestroy();
    expect(registry.getIntervals()).toEqual([]);
    await destroyed;
    expect(service.isRunning()).toBe(false);
    expect((await store.queueStats()).pending).toBe(0);
    const scheduled = jest.spyOn(service, 'shipScheduled');
    await jest.advanceTimersByTimeAsync(5_000);
    expect(scheduled).not.toHaveBeenCalled();
  });

  it('never lets a failing run escape the timer callback, and logs why it failed', async () => {
    const logError = jest.spyOn(Logger.prototype, 'error');
    const { service, job } = setUp('1');
    jest.spyOn(service, 'shipScheduled').mockRejectedValue(new Error('unexpected'));
    await expect(job.tick()).resolves.toBeUndefined();
    expect(logError).toHaveBeenCalledWith('Scheduled shipping failed: unexpected');
  });
});
