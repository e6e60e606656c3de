import { CpuProfile, topFunctionsOfProfile } from './v8-profile';

const frame = (functionName: string, url: string, lineNumber: number) => ({ functionName, url, lineNumber });

/**
 * (root) → main (app.js:10) → predict (app.js:20) → [run (node_modules/ort.js:5), fib (app.js:30) → fib (recursion)]
 * Samples (µs durations from the deltas): predict 100, run 300, fib(inner) 200, fib(outer) 50, (garbage) 25.
 */
const PROFILE: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)', '', -1), children: [2, 7] },
    { id: 2, callFrame: frame('main', 'file:///srv/app.js', 9), children: [3] },
    { id: 3, callFrame: frame('predict', 'file:///srv/app.js', 19), children: [4, 5] },
    { id: 4, callFrame: frame('run', '/srv/node_modules/ort.js', 4) },
    { id: 5, callFrame: frame('fib', 'file:///srv/app.js', 29), children: [6] },
    { id: 6, callFrame: frame('fib', 'file:///srv/app.js', 29) },
    { id: 7, callFrame: frame('(garbage collector)', '', -1) },
  ],
  startTime: 1000,
  samples: [3, 4, 6, 5, 7],
  timeDeltas: [0, 100, 300, 200, 50],
  endTime: 1675,
};

describe(topFunctionsOfProfile.name, () => {
  it('ranks JS functions by cumulative time from the sample durations, then by own time', () => {
    const { functionCalls, topFunctions } = topFunctionsOfProfile(PROFILE);
    expect(functionCalls).toBe(5);
    const byName = Object.fromEntries(topFunctions.map((row) => [row.function, row]));
    expect(topFunctions.map((row) => row.function)).toEqual(['predict', 'main', 'run', 'fib']);
    expect(byName.main).toMatchObject({ calls: 0, total_time_ms: 0, cumulative_time_ms: 0.65 });
    expect(byName.predict).toMatchObject({
      line: 20,
      calls: 1,
      total_time_ms: 0.1,
      cumulative_time_ms: 0.65,
    });
    expect(byName.run).toMatchObject({ calls: 1, total_time_ms: 0.3, cumulative_time_ms: 0.3 });
    // Recursion: the inner sample counts once in fib's cumulative time.
    expect(byName.fib).toMatchObject({ calls: 2, total_time_ms: 0.25, cumulative_time_ms: 0.25 });
  });

  it('keeps at most the requested number of rows and skips V8 markers', () => {
    const { topFunctions } = topFunctionsOfProfile(PROFILE, 2);
    expect(topFunctions.map((row) => row.function)).toEqual(['predict', 'main']);
    expect(topFunctionsOfProfile({ ...PROFILE, samples: [7], timeDeltas: [0] }).topFunctions).toEqual([]);
  });

  it("leaves out the functions of ignored files, such as the profiler's own", () => {
    const { functionCalls, topFunctions } = topFunctionsOfProfile(PROFILE, 5, ['/srv/app.js']);
    expect(functionCalls).toBe(5);
    expect(topFunctions.map((row) => row.function)).toEqual(['run']);
  });
});
