const MB = 1024 * 1024;

/** Node's own reading of the resident set, in MB. */
const residentMb = (): number => process.memoryUsage.rss() / MB;

/**
 * Runs `read` between two readings of Node's own resident set, and returns what it gave with the range those two
 * readings span, widened by 2 MB. The resident set moves on its own (the garbage collector frees earlier specs'
 * garbage in the background), so a figure read inside `read` is checked against that range, not one other reading.
 */
export function betweenResidentReadings<T>(read: () => T): { result: T; lowMb: number; highMb: number } {
  const before = residentMb();
  const result = read();
  const after = residentMb();
  return { result, lowMb: Math.min(before, after) - 2, highMb: Math.max(before, after) + 2 };
}
