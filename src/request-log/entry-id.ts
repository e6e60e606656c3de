import { randomFillSync } from 'node:crypto';

/** Makes time-ordered ids, each generator with its own clock state. */
export type IdGenerator = (nowMs?: number) => string;

/**
 * A generator of UUIDs version 7 (RFC 9562): 48 bits of Unix milliseconds, a 12-bit counter that keeps ids created
 * in the same millisecond in creation order (method 1 of section 6.2), then 62 random bits. Ids of one generator
 * sort in creation order as strings, even if the wall clock steps back; ids from different processes never collide.
 */
export function uuidv7Generator(): IdGenerator {
  let lastMs = 0;
  let counter = 0;
  const random = Buffer.alloc(8);
  return (nowMs = Date.now()) => {
    if (nowMs > lastMs) {
      lastMs = nowMs;
      counter = 0;
    } else {
      counter += 1;
      if (counter > 0xfff) {
        lastMs += 1;
        counter = 0;
      }
    }
    randomFillSync(random);
    const time = lastMs.toString(16).padStart(12, '0');
    const version = (0x7000 | counter).toString(16);
    const variant = ((random.readUInt16BE(0) & 0x3fff) | 0x8000).toString(16);
    const tail = random.toString('hex', 2, 8);
    return `${time.slice(0, 8)}-${time.slice(8)}-${version}-${variant}-${tail}`;
  };
}

/** The process's generator of log entry ids. */
export const uuidv7 = uuidv7Generator();
