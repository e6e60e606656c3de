import { RandomForestClassifier } from 'ml-random-forest';

export interface RandomForestParams {
  trees: number;
  /** Share of the 29 columns each tree sees (ml-random-forest bags features per tree, not per split). */
  maxFeatures: number;
  maxDepth: number;
  minSamples: number;
  seed: number;
}

/** One node of a fitted CART tree, as ml-cart stores it: a split (`x[column] < value` goes left) or a leaf. */
export interface TreeNodeLike {
  splitColumn?: number;
  splitValue?: number;
  left?: TreeNodeLike;
  right?: TreeNodeLike;
  distribution?: { to1DArray(): number[] };
}

interface FittedForest {
  estimators: { root: TreeNodeLike }[];
  indexes: number[][];
}

/**
 * A random forest (ml-random-forest, seeded) whose probability is the mean of its trees' leaf class distributions
 * (soft voting, as scikit-learn does), which is also what the ONNX export computes.
 */
export class RandomForestModel {
  private constructor(readonly trees: { root: TreeNodeLike; columns: number[] }[]) {}

  static fit(x: readonly number[][], y: readonly number[], p: RandomForestParams): RandomForestModel {
    const forest = new RandomForestClassifier({
      seed: p.seed,
      nEstimators: p.trees,
      maxFeatures: p.maxFeatures,
      replacement: false,
      useSampleBagging: true,
      noOOB: true,
      treeOptions: { maxDepth: p.maxDepth, minNumSamples: p.minSamples, gainFunction: 'gini' },
    });
    forest.train(
      x.map((row) => [...row]),
      [...y],
    );
    const fitted = forest as unknown as FittedForest;
    return new RandomForestModel(
      fitted.estimators.map((tree, i) => ({ root: tree.root, columns: fitted.indexes[i] })),
    );
  }

  predictProba(x: readonly number[][]): number[] {
    return x.map((row) => {
      let sum = 0;
      for (const tree of this.trees) {
        sum += leafOf(tree.root, (column) => row[tree.columns[column]])[1] ?? 0;
      }
      return sum / this.trees.length;
    });
  }
}

/**
 * The leaf distribution a row reaches. Comparisons are made in float32, the precision of the ONNX model's input
 * and thresholds, so the TypeScript and ONNX models take the same branches.
 */
export function leafOf(node: TreeNodeLike, valueOf: (column: number) => number): number[] {
  let current = node;
  while (current.left && current.right) {
    const goLeft =
      Math.fround(valueOf(current.splitColumn as number)) < Math.fround(current.splitValue as number);
    current = goLeft ? current.left : current.right;
  }
  return (current.distribution as { to1DArray(): number[] }).to1DArray();
}
