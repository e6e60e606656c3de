import { mapInSlices } from './slices';

describe(mapInSlices.name, () => {
  it('maps every item, in order', async () => {
    expect(await mapInSlices([1, 2, 3, 4, 5], (n) => n * 10, 2)).toEqual([10, 20, 30, 40, 50]);
    expect(await mapInSlices([], (n: number) => n)).toEqual([]);
  });

  it('lets the event loop run between two slices, not before the first nor within one', async () => {
    // A callback of the check phase, queued again each time it runs: it counts the turns of the event loop.
    let turns = 0;
    let ticking = true;
    const tick = (): void => {
      turns += 1;
      if (ticking) {
        setImmediate(tick);
      }
    };
    setImmediate(tick);
    const seen: number[] = [];
    await mapInSlices(
      Array.from({ length: 6 }, (_, i) => i),
      (i) => {
        seen.push(turns);
        return i;
      },
      3,
    );
    ticking = false;
    expect(seen[0]).toBe(0);
    expect(seen[2]).toBe(seen[0]);
    expect(seen[3]).toBeGreaterThan(seen[2]!);
    expect(seen[5]).toBe(seen[3]);
  });
});
