import { repeatedStratifiedKFold } from './cross-validation';

describe('repeatedStratifiedKFold', () => {
  const labels = [...new Array<number>(40).fill(1), ...new Array<number>(10).fill(0)];

  it('tests every row exactly once per repeat', () => {
    const splits = repeatedStratifiedKFold(labels, 5, 3, 7);
    expect(splits).toHaveLength(3);
    for (const repeat of splits) {
      expect(repeat).toHaveLength(5);
      expect(repeat.flat().sort((a, b) => a - b)).toEqual(labels.map((_, i) => i));
    }
  });

  it('keeps the class balance in every fold', () => {
    for (const fold of repeatedStratifiedKFold(labels, 5, 2, 7).flat()) {
      expect(fold).toHaveLength(10);
      expect(fold.filter((i) => labels[i] === 0)).toHaveLength(2);
    }
  });

  it('is reproducible from the seed and differs between repeats and seeds', () => {
    const a = repeatedStratifiedKFold(labels, 5, 2, 7);
    expect(repeatedStratifiedKFold(labels, 5, 2, 7)).toEqual(a);
    expect(a[0]).not.toEqual(a[1]);
    expect(repeatedStratifiedKFold(labels, 5, 2, 8)).not.toEqual(a);
  });
});
