import { setImmediate as nextTurn } from 'node:timers/promises';

/** Documents handled between two yields to the event loop: about a millisecond of work. */
export const SLICE_SIZE = 256;

/**
 * `fn` over every item, in slices of `size` with a turn of the event loop between two slices, so that building and
 * writing a big batch (a 1 000-entry batch is 5 000 documents) never holds the requests being served.
 */
export async function mapInSlices<T, R>(
  items: readonly T[],
  fn: (item: T) => R,
  size: number = SLICE_SIZE,
): Promise<R[]> {
  const out: R[] = [];
  for (let start = 0; start < items.length; start += size) {
    if (start > 0) {
      await nextTurn();
    }
    const end = Math.min(items.length, start + size);
    for (let i = start; i < end; i += 1) {
      out.push(fn(items[i]!));
    }
  }
  return out;
}
