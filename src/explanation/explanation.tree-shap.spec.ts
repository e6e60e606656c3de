import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { engineerFeatures } from '../features/features';
import { loadSurveyDataset } from '../training/survey-dataset';
import { SURVEY_DATA } from '../../test/fixtures/survey-data';
import { answerSplit, answersOfFeatures } from './explanation.answers';
import { BranchMode, modelInput, readForestParameters, TreeNodes } from './explanation.onnx';
import {
  coverCounts,
  explainForest,
  ForestExplainer,
  forestCovers,
  forestExplainer,
  leafOf,
  pathWorkspace,
  ShapTree,
  shapTree,
  treeShap,
} from './explanation.tree-shap';

const bytes = readFileSync(join(__dirname, '../../model/random_forest.onnx'));
const rows = loadSurveyDataset(SURVEY_DATA).rows.map((r) => r.answers);

const { Lt, Leq, Gte, Gt, Eq, Neq } = BranchMode;

/** A hand-built tree: a leaf (value, cover) or a split whose cover is its children's. */
type TreeSpec =
  | { leaf: number; cover: number }
  | {
      feature: number;
      threshold: number;
      mode: BranchMode;
      missingTrue?: boolean;
      yes: TreeSpec;
      no: TreeSpec;
    };

function buildTree(spec: TreeSpec): ShapTree {
  const specs: TreeSpec[] = [];
  const index = (s: TreeSpec): number => {
    const i = specs.length;
    specs.push(s);
    if (!('leaf' in s)) {
      index(s.yes);
      index(s.no);
    }
    return i;
  };
  index(spec);
  const n = specs.length;
  const nodes: TreeNodes = {
    feature: new Int32Array(n).fill(-1),
    threshold: new Float64Array(n),
    mode: new Uint8Array(n),
    missingTracksTrue: new Uint8Array(n),
    trueChild: new Int32Array(n).fill(-1),
    falseChild: new Int32Array(n).fill(-1),
    value: new Float64Array(n),
  };
  const cover = new Float64Array(n);
  const coverOf = (s: TreeSpec): number => ('leaf' in s ? s.cover : coverOf(s.yes) + coverOf(s.no));
  specs.forEach((s, i) => {
    cover[i] = coverOf(s);
    if ('leaf' in s) {
      nodes.value[i] = s.leaf;
    } else {
      nodes.feature[i] = s.feature;
      nodes.threshold[i] = s.threshold;
      nodes.mode[i] = s.mode;
      nodes.missingTracksTrue[i] = s.missingTrue ? 1 : 0;
      nodes.trueChild[i] = specs.indexOf(s.yes);
      nodes.falseChild[i] = specs.indexOf(s.no);
    }
  });
  return shapTree(nodes, cover);
}

/** Written apart from the explainer on purpose: the reference must not share its code. */
function holds(mode: BranchMode, x: number, t: number): boolean {
  const outcomes: Partial<Record<BranchMode, boolean>> = {
    [Leq]: x <= t,
    [Lt]: x < t,
    [Gte]: x >= t,
    [Gt]: x > t,
    [Eq]: x === t,
    [Neq]: x !== t,
  };
  return outcomes[mode] as boolean;
}

/**
 * E[f(x) | x_S], path-dependent: a known feature follows x, an unknown one averages the children by cover share.
 */
function conditionalExpectation(
  tree: ShapTree,
  x: readonly number[],
  known: ReadonlySet<number>,
  node = 0,
): number {
  const { nodes } = tree;
  if (nodes.mode[node] === BranchMode.Leaf) {
    return nodes.value[node];
  }
  const yes = nodes.trueChild[node];
  const no = nodes.falseChild[node];
  const f = nodes.feature[node];
  if (known.has(f)) {
    const v = x[f];
    const toTrue = Number.isNaN(v)
      ? nodes.missingTracksTrue[node] === 1
      : holds(nodes.mode[node], v, nodes.threshold[node]);
    return conditionalExpectation(tree, x, known, toTrue ? yes : no);
  }
  return (
    tree.trueShare[node] * conditionalExpectation(tree, x, known, yes) +
    tree.falseShare[node] * conditionalExpectation(tree, x, known, no)
  );
}

/** Shapley values by enumerating every coalition: φ_i = Σ_S |S|!(n−|S|−1)!/n! · (v(S ∪ i) − v(S)). */
function bruteForceShapley(tree: ShapTree, x: readonly number[]): number[] {
  const n = x.length;
  const factorial = (k: number): number => (k <= 1 ? 1 : k * factorial(k - 1));
  return x.map((_, i) => {
    let phi = 0;
    for (let mask = 0; mask < 1 << n; mask++) {
      if (mask & (1 << i)) {
        continue;
      }
      const s = new Set(x.map((__, j) => j).filter((j) => mask & (1 << j)));
      const weight = (factorial(s.size) * factorial(n - s.size - 1)) / factorial(n);
      const without = conditionalExpectation(tree, x, s);
      s.add(i);
      phi += weight * (conditionalExpectation(tree, x, s) - without);
    }
    return phi;
  });
}

function product(axes: readonly (readonly number[])[]): number[][] {
  return axes.reduce<number[][]>(
    (acc, axis) => acc.flatMap((prefix) => axis.map((v) => [...prefix, v])),
    [[]],
  );
}

/** Three features, feature 0 split on twice along one path, cover unequal everywhere. */
const threeFeatures: TreeSpec = {
  feature: 0,
  threshold: 0.5,
  mode: Lt,
  yes: {
    feature: 1,
    threshold: 2,
    mode: Leq,
    yes: { feature: 0, threshold: 0.25, mode: Lt, yes: { leaf: 1, cover: 3 }, no: { leaf: 2, cover: 2 } },
    no: { leaf: 3.5, cover: 4 },
  },
  no: {
    feature: 2,
    threshold: 1,
    mode: Gte,
    yes: { leaf: -1, cover: 5 },
    no: { feature: 1, threshold: 1, mode: Lt, yes: { leaf: 0.5, cover: 1 }, no: { leaf: 4, cover: 6 } },
  },
};

/**
 * Four features, depth 4, every comparison mode, a missing value sent to the true side, feature 3 twice, and leaves
 * of value 0 (one alone, two making a whole subtree), which the explainer skips.
 */
const fourFeatures: TreeSpec = {
  feature: 3,
  threshold: 0,
  mode: Gt,
  missingTrue: true,
  yes: {
    feature: 2,
    threshold: 1,
    mode: Eq,
    yes: {
      feature: 0,
      threshold: 0,
      mode: Neq,
      yes: { feature: 1, threshold: 5, mode: Lt, yes: { leaf: 0.1, cover: 1 }, no: { leaf: 0.7, cover: 2 } },
      no: { leaf: 0, cover: 3 },
    },
    no: {
      feature: 3,
      threshold: 2,
      mode: Gt,
      yes: { leaf: 0.9, cover: 4 },
      no: { feature: 1, threshold: 3, mode: Leq, yes: { leaf: 0, cover: 2 }, no: { leaf: 0, cover: 6 } },
    },
  },
  no: { leaf: 0.6, cover: 7 },
};

/** Regions no background row reached: a zero-cover leaf and a zero-cover subtree (split half and half). */
const emptyRegions: TreeSpec = {
  feature: 0,
  threshold: 1,
  mode: Lt,
  yes: {
    feature: 1,
    threshold: 1,
    mode: Lt,
    yes: { leaf: 5, cover: 0 },
    no: { feature: 2, threshold: 1, mode: Lt, yes: { leaf: 1, cover: 3 }, no: { leaf: 2, cover: 1 } },
  },
  no: {
    feature: 2,
    threshold: 1,
    mode: Lt,
    yes: { feature: 1, threshold: 1, mode: Lt, yes: { leaf: -2, cover: 0 }, no: { leaf: 7, cover: 0 } },
    no: { leaf: 3, cover: 4 },
  },
};

describe(treeShap.name, () => {
  it.each([
    [
      'three features, one split on twice',
      threeFeatures,
      [
        [0, 0.25, 0.3, 0.75],
        [0, 1, 2, 3],
        [0, 1, 2],
      ],
    ],
    [
      'four features, every comparison mode and a missing value',
      fourFeatures,
      [
        [0, 1],
        [2, 3, 5, 6],
        [0, 1, 2],
        [NaN, -1, 0, 1, 2, 3],
      ],
    ],
    [
      'three features with regions of zero cover',
      emptyRegions,
      [
        [0, 2],
        [0, 2],
        [0, 2],
      ],
    ],
  ] as const)(
    'equals brute-force Shapley values of the cover-weighted expectation (≤ 1e-9): %s',
    (_name, spec, axes) => {
      const tree = buildTree(spec);
      const points = product(axes);
      const errors = points.map((x) => {
        const phi = new Float64Array(x.length);
        treeShap(tree, x, phi, pathWorkspace(tree.depth));
        const exact = bruteForceShapley(tree, x);
        const additivity =
          tree.expectedValue + phi.reduce((a, b) => a + b, 0) - tree.nodes.value[leafOf(tree.nodes, x)];
        return Math.max(Math.abs(additivity), ...exact.map((v, i) => Math.abs(v - phi[i])));
      });
      expect(points.length).toBeGreaterThanOrEqual(8);
      expect(Math.max(...errors)).toBeLessThanOrEqual(1e-9);
    },
  );

  it('takes the cover-weighted mean of the leaves as the expected value', () => {
    // (3·1 + 2·2 + 4·3.5 + 5·(−1) + 1·0.5 + 6·4) / 21
    expect(buildTree(threeFeatures).expectedValue).toBeCloseTo(40.5 / 21, 12);
  });
});

describe(coverCounts.name, () => {
  it('counts the rows reaching each node', () => {
    const tree = buildTree(threeFeatures);
    const cover = coverCounts(tree.nodes, [
      [0.1, 0, 0],
      [0.3, 3, 0],
      [0.9, 0, 5],
      [0.9, 0, 0],
    ]);
    // pre-order: root, f1≤2, f0<0.25, leaf 1, leaf 2, leaf 3.5, f2≥1, leaf −1, f1<1, leaf 0.5, leaf 4
    expect(Array.from(cover)).toEqual([4, 2, 1, 1, 0, 1, 2, 1, 1, 1, 0]);
  });
});

describe(explainForest.name, () => {
  let explainer: ForestExplainer;
  beforeAll(() => {
    const parameters = readForestParameters(bytes);
    explainer = forestExplainer(
      parameters,
      forestCovers(parameters, rows),
      answerSplit(answersOfFeatures(rows)),
    );
  });

  it('says what it is: TreeSHAP on the probability scale, shared equally among answers', () => {
    expect(explainForest(explainer, rows[0])).toMatchObject({
      method: 'tree-shap+equal-split',
      output_scale: 'probability',
    });
  });

  it('counts every training row at the root of every tree, and at each split as many as its two children', () => {
    const inputs = rows.map((r) => modelInput(engineerFeatures(r)));
    for (const { nodes } of explainer.trees) {
      const cover = coverCounts(nodes, inputs);
      expect(cover[0]).toBe(rows.length);
      nodes.mode.forEach((mode, node) => {
        if (mode !== BranchMode.Leaf) {
          expect(cover[nodes.trueChild[node]] + cover[nodes.falseChild[node]]).toBe(cover[node]);
        }
      });
    }
  });
});
