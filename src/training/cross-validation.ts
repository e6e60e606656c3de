import { seededRandom, shuffled } from './random';

/**
 * Repeated stratified k-fold: for each repeat, the indices of each class are shuffled (seeded) and dealt round-robin
 * into k folds, so every fold keeps the class balance and every row is tested exactly once per repeat.
 * Returns, per repeat, k arrays of test indices.
 */
export function repeatedStratifiedKFold(
  labels: readonly number[],
  folds: number,
  repeats: number,
  seed: number,
): number[][][] {
  const random = seededRandom(seed);
  const classes = [...new Set(labels)].sort();
  return Array.from({ length: repeats }, () => {
    const out: number[][] = Array.from({ length: folds }, () => []);
    let next = 0;
    for (const cls of classes) {
      const members = labels.flatMap((l, i) => (l === cls ? [i] : []));
      for (const index of shuffled(members, random)) {
        out[next % folds].push(index);
        next++;
      }
    }
    return out.map((fold) => fold.sort((a, b) => a - b));
  });
}
