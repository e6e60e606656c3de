import { RequestContext, requestContextStorage } from '../common/request-context';
import { recordStage, stageSite, timeStage } from './stage-timer';

const newContext = (): RequestContext => ({
  transactionId: 't',
  startNs: process.hrtime.bigint(),
  stages: new Map(),
});

function busyWait(ms: number): void {
  const end = process.hrtime.bigint() + BigInt(ms * 1e6);
  while (process.hrtime.bigint() < end) {
    // spin: the stage must take measurable time
  }
}

describe(timeStage.name, () => {
  it('runs the function outside a request and records nothing', () => {
    expect(timeStage('orphan', () => 42)).toBe(42);
    expect(stageSite('orphan')).toBeUndefined();
  });

  it('counts calls and time per stage, in first-seen order', async () => {
    const ctx = newContext();
    await requestContextStorage.run(ctx, async () => {
      timeStage('validate', () => busyWait(2));
      await timeStage('model_run', () => new Promise((resolve) => setTimeout(resolve, 5)));
      timeStage('validate', () => busyWait(1));
    });
    expect([...ctx.stages.keys()]).toEqual(['validate', 'model_run']);
    const validate = ctx.stages.get('validate');
    expect(validate?.calls).toBe(2);
    expect(validate?.totalNs).toBeGreaterThanOrEqual(3_000_000n);
    expect(ctx.stages.get('model_run')?.totalNs).toBeGreaterThanOrEqual(4_000_000n);
    expect(ctx.openStage).toBeUndefined();
  });

  it('attributes a stage started inside another to it as nested time', async () => {
    const ctx = newContext();
    await requestContextStorage.run(ctx, () =>
      timeStage('handler', async () => {
        busyWait(1);
        await timeStage('model_run', () => new Promise((resolve) => setTimeout(resolve, 3)));
      }),
    );
    const handler = ctx.stages.get('handler');
    const run = ctx.stages.get('model_run');
    expect(handler?.nestedNs).toBe(run?.totalNs);
    expect(run?.nestedNs).toBe(0n);
    expect(handler!.totalNs - handler!.nestedNs).toBeGreaterThanOrEqual(1_000_000n);
  });

  it('records the stage when it throws or rejects, and passes the error on', async () => {
    const ctx = newContext();
    await requestContextStorage.run(ctx, async () => {
      expect(() =>
        timeStage('sync_fail', () => {
          throw new Error('boom');
        }),
      ).toThrow('boom');
      await expect(timeStage('async_fail', () => Promise.reject(new Error('late')))).rejects.toThrow('late');
    });
    expect(ctx.stages.get('sync_fail')?.calls).toBe(1);
    expect(ctx.stages.get('async_fail')?.calls).toBe(1);
    expect(ctx.openStage).toBeUndefined();
  });

  it('remembers the file and line where a stage is timed', () => {
    requestContextStorage.run(newContext(), () => timeStage('located', () => undefined));
    const line = Number(new Error().stack?.split('\n')[1].match(/:(\d+):\d+\)?$/)?.[1]) - 1;
    expect(stageSite('located')).toEqual({ file: 'src/profiling/stage-timer.spec.ts', line });
  });
});

describe(recordStage.name, () => {
  it('adds a stage measured elsewhere to the current request, nested in the open stage', () => {
    const ctx: RequestContext = { transactionId: 't', startNs: 0n, stages: new Map() };
    requestContextStorage.run(ctx, () => {
      timeStage('outer', () => {
        recordStage('model_run', 1500n);
        recordStage('model_run', 500n);
      });
    });
    expect(ctx.stages.get('model_run')).toEqual({ calls: 2, totalNs: 2000n, nestedNs: 0n });
    expect(ctx.stages.get('outer')!.nestedNs).toBe(2000n);
    expect(stageSite('model_run')?.file).toMatch(/stage-timer\.spec\.ts$/);
  });

  it('does nothing outside a request', () => {
    expect(() => recordStage('model_run', 1n)).not.toThrow();
  });
});
