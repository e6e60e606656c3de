import { betweenResidentReadings } from '../../test/support/profiling/resident-bracket';
import { ResidentMemory } from './resident-memory';

const MB = 1024 * 1024;

describe(ResidentMemory.name, () => {
  it("reads the same resident set size as Node's process.memoryUsage.rss()", () => {
    const memory = new ResidentMemory();
    const { result, lowMb, highMb } = betweenResidentReadings(() => memory.bytes() / MB);
    memory.close();
    expect(result).toBeGreaterThan(lowMb);
    expect(result).toBeLessThan(highMb);
  });

  it('reads the resident set afresh each time, as it grows', () => {
    const memory = new ResidentMemory();
    memory.bytes();
    const ballast = Buffer.alloc(64 * MB, 1);
    const { result, lowMb, highMb } = betweenResidentReadings(() => memory.bytes() / MB);
    memory.close();
    expect(ballast.length).toBe(64 * MB);
    expect(result).toBeGreaterThan(lowMb);
    expect(result).toBeLessThan(highMb);
  });
});
