import { ResidentMemory } from './resident-memory';

const MB = 1024 * 1024;

/**
 * A reading and Node's own just before and after it. The resident set moves on its own (the garbage collector frees
 * earlier specs' garbage in the background), so a reading is checked against that bracket, not one other reading.
 */
function bracketed(read: () => number): { value: number; low: number; high: number } {
  const before = process.memoryUsage.rss();
  const value = read();
  const after = process.memoryUsage.rss();
  return { value, low: Math.min(before, after) - 2 * MB, high: Math.max(before, after) + 2 * MB };
}

describe(ResidentMemory.name, () => {
  it("reads the same resident set size as Node's process.memoryUsage.rss()", () => {
    const memory = new ResidentMemory();
    const { value, low, high } = bracketed(() => memory.bytes());
    memory.close();
    expect(value).toBeGreaterThan(low);
    expect(value).toBeLessThan(high);
  });

  it('reads the resident set afresh each time, as it grows', () => {
    const memory = new ResidentMemory();
    memory.bytes();
    const ballast = Buffer.alloc(64 * MB, 1);
    const { value, low, high } = bracketed(() => memory.bytes());
    memory.close();
    expect(ballast.length).toBe(64 * MB);
    expect(value).toBeGreaterThan(low);
    expect(value).toBeLessThan(high);
  });
});
