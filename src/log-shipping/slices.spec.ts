import { mapInSlices } from './slices';

describe(mapInSlices.name, () => {
  it('maps every item, in order', async () => {
    expect(await mapInSlices([1, 2, 3, 4, 5], (n) => n * 10, 2)).toEqual([10, 20, 30, 40, 50]);
    expect(await mapInSlices([], (n: number) => n)).toEqual([]);
  });

  it('lets the event loop run between two slices, not within one', async () => {
    const turns: string[] = [];
    const ticking = setInterval(() => turns.push('turn'), 0);
    const seen: number[] = [];
    await mapInSlices(
      Array.from({ length: 6 }, (_, i) => i),
      (i) => {
        // Busy past the interval's 1 ms, so that a turn of the loop would run it if one happened here.
        const until = Date.now() + 2;
        while (Date.now() < until) {
          // spin
        }
        seen.push(turns.length);
        return i;
      },
      3,
    );
    clearInterval(ticking);
    expect(seen[0]).toBe(seen[2]);
    expect(seen[3]).toBe(seen[5]);
    expect(seen[3]).toBeGreaterThanOrEqual(seen[2]!);
  });
});
