import { ResidentMemory } from './resident-memory';

describe(ResidentMemory.name, () => {
  it("reads the same resident set size as Node's process.memoryUsage.rss()", () => {
    const memory = new ResidentMemory();
    const ours = memory.bytes();
    const node = process.memoryUsage.rss();
    memory.close();
    expect(Math.abs(ours - node)).toBeLessThan(8 * 1024 * 1024);
  });

  it('follows the resident set as it grows', () => {
    const memory = new ResidentMemory();
    const before = memory.bytes();
    const ballast = Buffer.alloc(64 * 1024 * 1024, 1);
    const after = memory.bytes();
    memory.close();
    expect(ballast.length).toBeGreaterThan(0);
    expect(after - before).toBeGreaterThan(60 * 1024 * 1024);
  });
});
