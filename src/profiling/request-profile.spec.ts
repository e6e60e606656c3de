import { RequestContext, requestContextStorage, StageStat } from '../common/request-context';
import { finishProfile, startProfile, topStages } from './request-profile';
import { timeStage } from './stage-timer';
import { betweenResidentReadings } from '../../test/support/profiling/resident-bracket';

const stat = (calls: number, totalNs: bigint, nestedNs = 0n): StageStat => ({ calls, totalNs, nestedNs });

describe(finishProfile.name, () => {
  it('measures CPU time and memory since the start, with the request times it is given', async () => {
    const started = betweenResidentReadings(() => startProfile());
    // Burn CPU time (not wall time, which a loaded machine would not turn into CPU), and grow the resident set so
    // that a delta of the wrong sign or unit would fall outside the readings' ranges.
    const cpuStart = process.cpuUsage();
    while (process.cpuUsage(cpuStart).user < 5000) {
      Math.sqrt(Math.random());
    }
    const ballast = Buffer.alloc(16 * 1024 * 1024, 1);
    // The figures are read once per event-loop turn: the end is read in a later turn than the start.
    await new Promise((resolve) => setImmediate(resolve));
    const ended = betweenResidentReadings(() =>
      finishProfile(started.result, {
        latencyNs: 7_654_321n,
        stages: new Map([['model_run', stat(1, 1_234_567n)]]),
        batchSize: 3,
      }),
    );
    const metrics = ended.result;
    expect(ballast.length).toBeGreaterThan(0);
    expect(metrics.latency_ms).toBe(7.654);
    expect(metrics.inference_time_ms).toBe(1.235);
    expect(metrics.batch_size).toBe(3);
    expect(metrics.cpu_time_ms).toBeGreaterThanOrEqual(5);
    expect(metrics.memory_mb).toBeGreaterThan(ended.lowMb);
    expect(metrics.memory_mb).toBeLessThan(ended.highMb);
    const startMb = metrics.memory_mb - metrics.memory_delta_mb;
    expect(startMb).toBeGreaterThan(started.lowMb);
    expect(startMb).toBeLessThan(started.highMb);
    expect(metrics.function_calls).toBe(1);
    expect(metrics.top_functions).toHaveLength(1);
  });

  it('reads the process figures once per event-loop turn, shared by the requests that start or end in it', () => {
    const end = { latencyNs: 1n, stages: new Map<string, StageStat>(), batchSize: 1 };
    const first = startProfile();
    const cpuStart = process.cpuUsage();
    while (process.cpuUsage(cpuStart).user < 2000) {
      Math.sqrt(Math.random());
    }
    expect(startProfile()).toBe(first);
    expect(finishProfile(first, end)).toMatchObject({ cpu_time_ms: 0, memory_delta_mb: 0 });
  });
});

describe(topStages.name, () => {
  it('lists the five costliest stages by cumulative time, own time without nested stages', () => {
    const stages = new Map([
      ['validate', stat(1, 40_000n)],
      ['handler', stat(1, 9_000_000n, 7_500_000n)],
      ['feature_engineering', stat(2, 30_000n)],
      ['pool_acquire', stat(1, 500_000n)],
      ['model_run', stat(1, 7_000_000n)],
      ['pool_release', stat(1, 20_000n)],
      ['serialise', stat(1, 10_000n)],
    ]);
    const top = topStages(stages);
    expect(top.map((row) => row.function)).toEqual([
      'handler',
      'model_run',
      'pool_acquire',
      'validate',
      'feature_engineering',
    ]);
    expect(top[0]).toMatchObject({ calls: 1, total_time_ms: 1.5, cumulative_time_ms: 9 });
    expect(top[4]).toMatchObject({ calls: 2, total_time_ms: 0.03, cumulative_time_ms: 0.03 });
  });

  it('gives each stage the file and line where it is timed', () => {
    const ctx: RequestContext = { transactionId: 't', startNs: 0n, stages: new Map() };
    requestContextStorage.run(ctx, () => timeStage('profile_site', () => 1));
    const [row] = topStages(ctx.stages);
    expect(row.file).toBe('src/profiling/request-profile.spec.ts');
    expect(row.line).toBeGreaterThan(0);
  });
});
