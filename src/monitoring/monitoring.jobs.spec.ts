import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { RecordingLogger } from '../../test/support/recording-logger';
import { AppConfig } from '../config/app-config';
import { validateEnv } from '../config/env.schema';
import type { AlertsService } from './alerts.service';
import type { DriftService } from './drift.service';
import { MonitoringJobs, SAMPLE_INTERVAL_MS } from './monitoring.jobs';

function jobsOf(env: Record<string, string> = {}) {
  const calls = { samples: 0, evaluations: 0 };
  const alerts = { keepSample: () => Promise.resolve(void calls.samples++) } as unknown as AlertsService;
  const drift = { evaluate: () => Promise.resolve(void calls.evaluations++) } as unknown as DriftService;
  const scheduler = new SchedulerRegistry();
  const jobs = new MonitoringJobs(new AppConfig(validateEnv(env)), alerts, drift, scheduler);
  return { jobs, scheduler, calls };
}

describe(MonitoringJobs.name, () => {
  let logs: RecordingLogger;
  beforeEach(() => {
    logs = new RecordingLogger();
    Logger.overrideLogger(logs);
  });
  afterEach(() => jest.useRealTimers());

  it(`keeps a sample every ${SAMPLE_INTERVAL_MS / 1000} s and evaluates drift every DRIFT_EVALUATE_SECONDS`, async () => {
    jest.useFakeTimers();
    const { jobs, scheduler, calls } = jobsOf({ DRIFT_EVALUATE_SECONDS: '25' });
    jobs.onApplicationBootstrap();
    expect(scheduler.getIntervals().sort()).toEqual(['drift-evaluation', 'metrics-sample']);
    await jest.advanceTimersByTimeAsync(SAMPLE_INTERVAL_MS - 1);
    expect(calls).toEqual({ samples: 0, evaluations: 0 });
    await jest.advanceTimersByTimeAsync(1);
    expect(calls).toEqual({ samples: 1, evaluations: 0 });
    await jest.advanceTimersByTimeAsync(50_000 - SAMPLE_INTERVAL_MS);
    expect(calls).toEqual({ samples: 5, evaluations: 2 });
    jobs.onModuleDestroy();
    expect(scheduler.getIntervals()).toEqual([]);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(calls).toEqual({ samples: 5, evaluations: 2 });
  });

  it('never evaluates drift with DRIFT_EVALUATE_SECONDS=0, and stops what it started', () => {
    const { jobs, scheduler } = jobsOf({ DRIFT_EVALUATE_SECONDS: '0' });
    jobs.onApplicationBootstrap();
    expect(scheduler.getIntervals()).toEqual(['metrics-sample']);
    jobs.onModuleDestroy();
    expect(scheduler.getIntervals()).toEqual([]);
    expect(() => jobs.onModuleDestroy()).not.toThrow();
  });

  it('does not keep the process alive', () => {
    const { jobs, scheduler } = jobsOf({ DRIFT_EVALUATE_SECONDS: '60' });
    jobs.onApplicationBootstrap();
    for (const name of scheduler.getIntervals()) {
      expect((scheduler.getInterval(name) as NodeJS.Timeout).hasRef()).toBe(false);
    }
    jobs.onModuleDestroy();
  });

  it('skips a tick while the previous one of the same job runs', async () => {
    const { jobs } = jobsOf();
    let finish!: () => void;
    let runs = 0;
    const slow = () => {
      runs++;
      return new Promise<void>((resolve) => (finish = resolve));
    };
    const first = jobs.tick('slow', slow);
    await jobs.tick('slow', slow);
    expect(runs).toBe(1);
    await jobs.tick('other', () => Promise.resolve(void runs++));
    expect(runs).toBe(2);
    finish();
    await first;
    const again = jobs.tick('slow', slow);
    expect(runs).toBe(3);
    finish();
    await again;
  });

  it('logs a failing job once per outage, and when it works again; never rejects', async () => {
    const { jobs } = jobsOf();
    const failing = () => Promise.reject(new Error('store down'));
    await expect(jobs.tick('metrics-sample', failing)).resolves.toBeUndefined();
    await jobs.tick('metrics-sample', failing);
    await jobs.tick('drift-evaluation', failing);
    await jobs.tick('metrics-sample', () => Promise.resolve());
    await jobs.tick('metrics-sample', () => Promise.resolve());
    await jobs.tick('metrics-sample', failing);
    expect(logs.lines).toEqual([
      'warn: metrics-sample failed (retried on the next tick): store down',
      'warn: drift-evaluation failed (retried on the next tick): store down',
      'log: metrics-sample works again',
      'warn: metrics-sample failed (retried on the next tick): store down',
    ]);
    // A failed tick does not block the next one.
    let ran = false;
    await jobs.tick('drift-evaluation', () => Promise.resolve(void (ran = true)));
    expect(ran).toBe(true);
  });
});
