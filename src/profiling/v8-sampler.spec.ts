import { V8Sampler } from './v8-sampler';

/** Runs JS for `ms` of CPU time, however loaded the machine is. */
function spinInJs(ms: number): number {
  let x = 0;
  const start = process.cpuUsage();
  while (process.cpuUsage(start).user < ms * 1000) {
    for (let i = 0; i < 1000; i += 1) {
      x += Math.sqrt(x + i);
    }
  }
  return x;
}

describe(V8Sampler.name, () => {
  let sampler: V8Sampler;

  afterEach(() => sampler.close());

  it('profiles a drawn request and finds the function that burned the CPU', async () => {
    sampler = new V8Sampler(1);
    const sample = await sampler.start();
    expect(sample).toBeDefined();
    spinInJs(30);
    const { functionCalls, topFunctions } = await sample!.stop();
    expect(functionCalls).toBeGreaterThan(10);
    const spin = topFunctions.find((row) => row.function === 'spinInJs');
    expect(spin).toMatchObject({ file: 'src/profiling/v8-sampler.spec.ts' });
    expect(spin!.cumulative_time_ms).toBeGreaterThan(5);
  });

  it('samples at the configured rate, one request at a time', async () => {
    const draws = [0.3, 0.1, 0.1];
    sampler = new V8Sampler(0.25, () => draws.shift() ?? 1);
    expect(await sampler.start()).toBeUndefined();
    const first = await sampler.start();
    expect(first).toBeDefined();
    expect(await sampler.start()).toBeUndefined();
    await first!.stop();
    expect(await new V8Sampler(0).start()).toBeUndefined();
  });
});
