import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { engineerFeatures, FEATURE_COUNT } from '../features/features';
import { LogisticRegressionModel } from '../training/logistic-regression';
import { logisticRegressionToOnnx, randomForestToOnnx } from '../training/onnx-export';
import { RandomForestModel } from '../training/random-forest';
import { loadSurveyDataset } from '../training/survey-dataset';
import { SURVEY_DATA } from '../../test/fixtures/survey-data';
import {
  BranchMode,
  ForestParameters,
  modelInput,
  readForestParameters,
  readLinearParameters,
} from './explanation.onnx';
import { leafOf } from './explanation.tree-shap';

const modelBytes = (file: string): Uint8Array => readFileSync(join(__dirname, '../../model', file));
const dataset = loadSurveyDataset(SURVEY_DATA).rows;
const x = dataset.map((r) => engineerFeatures(r.answers));
const y = dataset.map((r) => r.label);

/** The model with one attribute or node changed, to check what the readers refuse. */
function edited(bytes: Uint8Array, edit: (graph: onnx.IGraphProto) => void): Uint8Array {
  const proto = onnx.ModelProto.decode(bytes);
  edit(proto.graph as onnx.IGraphProto);
  return onnx.ModelProto.encode(proto).finish();
}

describe(readLinearParameters.name, () => {
  it('reads back the scaler, weights and bias training exported (as float32)', () => {
    const model = LogisticRegressionModel.fit(x, y, { c: 0.1 });
    const p = readLinearParameters(logisticRegressionToOnnx(model, 0.5));
    expect(p.input).toBe('features');
    for (let j = 0; j < FEATURE_COUNT; j++) {
      const scale = Math.fround(model.scale[j]);
      expect(p.weights[j]).toBe(Math.fround(model.weights[j]));
      expect(p.factor[j]).toBe(1 / scale);
      expect(p.offset[j]).toBe(-Math.fround(model.mean[j]) / scale);
    }
    expect(p.bias).toBe(Math.fround(model.bias));
  });

  it('folds a Platt calibrator of the log-odds (Add(bias) → Mul(a) → Add(b)) into the weights and bias', () => {
    const model = LogisticRegressionModel.fit(x, y, { c: 0.1 });
    const [a, b] = [0.83, 0.41];
    const bytes = logisticRegressionToOnnx(model, 0.5, { method: 'platt', input: 'logit', a, b });
    const p = readLinearParameters(bytes);
    const uncalibrated = readLinearParameters(logisticRegressionToOnnx(model, 0.5));
    for (let j = 0; j < FEATURE_COUNT; j++) {
      expect(p.weights[j]).toBe(Math.fround(model.weights[j]) * Math.fround(a));
      expect(p.factor[j]).toBe(uncalibrated.factor[j]);
      expect(p.offset[j]).toBe(uncalibrated.offset[j]);
    }
    expect(p.bias).toBe(Math.fround(model.bias) * Math.fround(a) + Math.fround(b));
    // A Div by a scalar constant folds the same way: here by 4, a power of two, so exactly a quarter.
    const withDiv = edited(bytes, (graph) => {
      (graph.node?.find((n) => n.opType === 'Mul') as onnx.INodeProto).opType = 'Div';
      (graph.initializer?.find((t) => t.name === 'platt_a') as onnx.ITensorProto).floatData = [4];
    });
    const divided = readLinearParameters(withDiv);
    for (let j = 0; j < FEATURE_COUNT; j++) {
      expect(divided.weights[j]).toBe(Math.fround(model.weights[j]) / 4);
    }
    expect(divided.bias).toBe(Math.fround(model.bias) / 4 + Math.fround(b));
  });

  it('refuses a graph it cannot fold into one affine map (a random forest, an unknown op)', () => {
    const lr = modelBytes('logistic_regression.onnx');
    expect(() => readLinearParameters(modelBytes('random_forest.onnx'))).toThrow(
      /not an op with one constant operand/,
    );
    const withPow = edited(lr, (graph) => {
      const div = graph.node?.find((n) => n.opType === 'Div') as onnx.INodeProto;
      div.opType = 'Pow';
    });
    expect(() => readLinearParameters(withPow)).toThrow(/unsupported Pow/);
  });
});

describe(readForestParameters.name, () => {
  const score = (p: ForestParameters, row: ArrayLike<number>): number =>
    p.trees.reduce((s, tree) => s + tree.value[leafOf(tree, row)], 0);

  it('reads back a forest training exported: its trees give the forest’s probabilities (≤ 1e-6)', () => {
    const forest = RandomForestModel.fit(x, y, {
      trees: 5,
      maxFeatures: 0.5,
      maxDepth: 4,
      minSamples: 2,
      seed: 7,
    });
    const p = readForestParameters(randomForestToOnnx(forest, 0.5));
    expect(p.trees).toHaveLength(5);
    const expected = forest.predictProba(x);
    const diffs = x.map((row, i) => Math.abs(score(p, modelInput(row)) - expected[i]));
    expect(Math.max(...diffs)).toBeLessThanOrEqual(1e-6);
  });

  it('reads the committed forest: 100 trees split with BRANCH_LT only', () => {
    const p = readForestParameters(modelBytes('random_forest.onnx'));
    expect(p.trees).toHaveLength(100);
    const modes = new Set(p.trees.flatMap((t) => Array.from(t.mode)));
    expect([...modes].sort()).toEqual([BranchMode.Leaf, BranchMode.Lt]);
  });

  it('refuses what would not be probabilities or is not one forest', () => {
    const rf = modelBytes('random_forest.onnx');
    const logistic = edited(rf, (graph) => {
      const attribute = graph.node?.[0].attribute?.find(
        (a) => a.name === 'post_transform',
      ) as onnx.IAttributeProto;
      attribute.s = new TextEncoder().encode('LOGISTIC');
    });
    expect(() => readForestParameters(logistic)).toThrow(/post_transform is not NONE/);
    const withBaseValues = edited(rf, (graph) => {
      graph.node?.[0].attribute?.push({
        name: 'base_values',
        type: onnx.AttributeProto.AttributeType.FLOATS,
        floats: [0, 0],
      });
    });
    expect(() => readForestParameters(withBaseValues)).toThrow(/base_values are not supported/);
    expect(() => readForestParameters(modelBytes('logistic_regression.onnx'))).toThrow(
      /expected one TreeEnsembleClassifier/,
    );
  });
});

describe('what the readers fold and refuse', () => {
  const lr = modelBytes('logistic_regression.onnx');
  const rf = modelBytes('random_forest.onnx');
  const committed = readLinearParameters(lr);
  const node = (graph: onnx.IGraphProto, op: string): onnx.INodeProto =>
    graph.node!.find((n) => n.opType === op) as onnx.INodeProto;
  const initializer = (graph: onnx.IGraphProto, name: string): onnx.ITensorProto =>
    graph.initializer!.find((t) => t.name === name) as onnx.ITensorProto;
  const attribute = (graph: onnx.IGraphProto, name: string): onnx.IAttributeProto =>
    graph.node![0].attribute!.find((a) => a.name === name) as onnx.IAttributeProto;
  const float32 = (values: number[]): Uint8Array => new Uint8Array(new Float32Array(values).buffer);
  const float64 = (values: number[]): Uint8Array => new Uint8Array(new Float64Array(values).buffer);

  it('reads initializers stored as raw bytes, float or double, as the values they hold', () => {
    const raw = readLinearParameters(
      edited(lr, (graph) => {
        const weights = initializer(graph, 'weights');
        weights.rawData = float32(weights.floatData!);
        weights.floatData = [];
        const bias = initializer(graph, 'bias');
        bias.dataType = onnx.TensorProto.DataType.DOUBLE;
        bias.rawData = float64([0.5]);
        bias.floatData = [];
        const mean = initializer(graph, 'mean');
        mean.dataType = onnx.TensorProto.DataType.DOUBLE;
        mean.doubleData = mean.floatData!.map((v) => v + 1);
        mean.floatData = [];
      }),
    );
    expect(Array.from(raw.weights)).toEqual(Array.from(committed.weights));
    // bias 0.5 instead of b₀, through the Platt scale a: the committed bias plus a · (0.5 − b₀).
    const [a, b0] = [Math.fround(1.2224500179290771), Math.fround(2.532723903656006)];
    expect(raw.bias).toBeCloseTo(committed.bias + a * (0.5 - b0), 12);
    for (let j = 0; j < FEATURE_COUNT; j++) {
      // offset = −mean/scale: the mean one more.
      expect(raw.offset[j]).toBeCloseTo(committed.offset[j]! - committed.factor[j]!, 6);
    }
  });

  it('folds a scalar Add, Mul or Sub of the input before the MatMul, and a constant minus the input', () => {
    // x → (1 − x)·2 + 3 before the standardisation: factor −2·f, offset (2 + 3)·f + o … checked on one row.
    const bytes = edited(lr, (graph) => {
      graph.initializer!.push(
        { name: 'one_c', dataType: onnx.TensorProto.DataType.FLOAT, dims: [], floatData: [1] },
        { name: 'two_c', dataType: onnx.TensorProto.DataType.FLOAT, dims: [], floatData: [2] },
        { name: 'three_c', dataType: onnx.TensorProto.DataType.FLOAT, dims: [], floatData: [3] },
      );
      node(graph, 'Sub').input = ['x3', 'mean'];
      graph.node!.unshift(
        { name: 'flip', opType: 'Sub', input: ['one_c', 'features'], output: ['x1'] },
        { name: 'double', opType: 'Mul', input: ['x1', 'two_c'], output: ['x2'] },
        { name: 'shift', opType: 'Add', input: ['three_c', 'x2'], output: ['x3'] },
      );
    });
    const p = readLinearParameters(bytes);
    for (let j = 0; j < FEATURE_COUNT; j++) {
      const x = 0.25 * (j + 1);
      const direct = committed.factor[j]! * ((1 - x) * 2 + 3) + committed.offset[j]!;
      expect(p.factor[j]! * x + p.offset[j]!).toBeCloseTo(direct, 9);
    }
    expect(Array.from(p.weights)).toEqual(Array.from(committed.weights));
    // A Sub of a scalar after the MatMul lowers the bias.
    const minusBias = readLinearParameters(
      edited(lr, (graph) => {
        node(graph, 'Add').opType = 'Sub';
      }),
    );
    expect(minusBias.bias).toBeCloseTo(
      committed.bias - 2 * Math.fround(2.532723903656006) * Math.fround(1.2224500179290771),
      5,
    );
  });

  it.each([
    [
      'an input read by two nodes',
      (graph: onnx.IGraphProto) => graph.node!.push({ opType: 'Relu', input: ['features'], output: ['r'] }),
      'logistic regression graph: "features" has 2 consumers, expected 1',
    ],
    [
      'a dead end before the Sigmoid',
      (graph: onnx.IGraphProto) => (node(graph, 'Sigmoid').input = ['elsewhere']),
      'logistic regression graph: "logit" has 0 consumers, expected 1',
    ],
    [
      'an op on two variables',
      (graph: onnx.IGraphProto) => (node(graph, 'Div').input = ['centred', 'centred']),
      'logistic regression graph: Div "standardised" is not an op with one constant operand',
    ],
    [
      'a constant divided by the input',
      (graph: onnx.IGraphProto) => (node(graph, 'Div').input = ['scale', 'centred']),
      'logistic regression graph: unsupported Div "standardised" before the MatMul',
    ],
    [
      'a per-input constant of the wrong length',
      (graph: onnx.IGraphProto) => (initializer(graph, 'scale').floatData = [1, 2, 3]),
      'logistic regression graph: Div "standardised" has 3 values, expected 1 or 29',
    ],
    [
      'a MatMul by weights of the wrong shape',
      (graph: onnx.IGraphProto) => (initializer(graph, 'weights').floatData = [1, 2]),
      'logistic regression graph: MatMul "logit_raw" is not x · W with W [29, 1]',
    ],
    [
      'a MatMul of the weights by the input',
      (graph: onnx.IGraphProto) => (node(graph, 'MatMul').input = ['weights', 'standardised']),
      'logistic regression graph: MatMul "logit_raw" is not x · W with W [29, 1]',
    ],
    [
      'a per-input constant after the MatMul',
      (graph: onnx.IGraphProto) => (initializer(graph, 'bias').floatData = new Array<number>(29).fill(0)),
      'logistic regression graph: unsupported Add "logit_uncalibrated" after the MatMul',
    ],
    [
      'a constant minus the log-odds',
      (graph: onnx.IGraphProto) => {
        const add = node(graph, 'Add');
        add.opType = 'Sub';
        add.input = ['bias', 'logit_raw'];
      },
      'logistic regression graph: unsupported Sub "logit_uncalibrated" after the MatMul',
    ],
    [
      'a constant divided by the log-odds',
      (graph: onnx.IGraphProto) => {
        const mul = node(graph, 'Mul');
        mul.opType = 'Div';
        mul.input = ['platt_a', 'logit_uncalibrated'];
      },
      'logistic regression graph: unsupported Div "logit_scaled" after the MatMul',
    ],
    [
      'no MatMul',
      (graph: onnx.IGraphProto) => {
        node(graph, 'Add').input = ['standardised', 'bias'];
        graph.node = graph.node!.filter((n) => n.opType !== 'MatMul');
      },
      'logistic regression graph: no MatMul between the input and the Sigmoid',
    ],
    [
      'an integer initializer',
      (graph: onnx.IGraphProto) => (initializer(graph, 'mean').dataType = onnx.TensorProto.DataType.INT64),
      'ONNX initializer "mean": data type 7 is not float or double',
    ],
    [
      'no data input',
      (graph: onnx.IGraphProto) => (graph.input = []),
      'ONNX model has no graph, data input or nodes',
    ],
  ])('refuses a logistic regression with %s', (_what, edit, message) => {
    expect(() => readLinearParameters(edited(lr, edit))).toThrow(new Error(message));
  });

  it('finds the data input among inputs that also list the initializers', () => {
    const bytes = edited(lr, (graph) => {
      graph.input = [{ name: 'mean' }, ...graph.input!, { name: 'scale' }];
    });
    expect(readLinearParameters(bytes).input).toBe('features');
  });

  it.each([
    [
      'two ensembles',
      (graph: onnx.IGraphProto) => graph.node!.push({ ...graph.node![0], output: ['a', 'b'] }),
      'random forest graph: expected one TreeEnsembleClassifier reading the input',
    ],
    [
      'an ensemble reading something else',
      (graph: onnx.IGraphProto) => (graph.node![0].input = ['other']),
      'random forest graph: expected one TreeEnsembleClassifier reading the input',
    ],
    [
      'base values as a tensor',
      (graph: onnx.IGraphProto) => graph.node![0].attribute!.push({ name: 'base_values_as_tensor' }),
      'random forest graph: base_values are not supported',
    ],
    [
      'no class labels',
      (graph: onnx.IGraphProto) =>
        (graph.node![0].attribute = graph.node![0].attribute!.filter((a) => a.name !== 'classlabels_int64s')),
      'random forest graph: attribute classlabels_int64s is missing',
    ],
    [
      'three classes',
      (graph: onnx.IGraphProto) => (attribute(graph, 'classlabels_int64s').ints = [0, 1, 2]),
      'random forest graph: expected labels [0, 1] with leaf weights for both classes',
    ],
    [
      'no class 1',
      (graph: onnx.IGraphProto) => (attribute(graph, 'classlabels_int64s').ints = [0, 2]),
      'random forest graph: expected labels [0, 1] with leaf weights for both classes',
    ],
    [
      'weights for one class only',
      (graph: onnx.IGraphProto) => {
        const ids = attribute(graph, 'class_ids');
        ids.ints = ids.ints!.map(() => 1);
      },
      'random forest graph: expected labels [0, 1] with leaf weights for both classes',
    ],
    [
      'no split values',
      (graph: onnx.IGraphProto) =>
        (graph.node![0].attribute = graph.node![0].attribute!.filter((a) => a.name !== 'nodes_values')),
      'random forest graph: attribute nodes_values (as floats) is missing',
    ],
    [
      'node attributes of different lengths',
      (graph: onnx.IGraphProto) => attribute(graph, 'nodes_values').floats!.pop(),
      'random forest graph: the nodes_* attributes differ in length',
    ],
    [
      'a tree listing a leaf first',
      (graph: onnx.IGraphProto) => {
        const [ids, modes] = [attribute(graph, 'nodes_nodeids'), attribute(graph, 'nodes_modes')];
        const [featureIds, values] = [attribute(graph, 'nodes_featureids'), attribute(graph, 'nodes_values')];
        const [trueIds, falseIds] = [
          attribute(graph, 'nodes_truenodeids'),
          attribute(graph, 'nodes_falsenodeids'),
        ];
        // Swap the first two nodes of tree 0 (its root and its first child).
        const lists: unknown[][] = [
          ids.ints!,
          modes.strings!,
          featureIds.ints!,
          values.floats!,
          trueIds.ints!,
          falseIds.ints!,
        ];
        for (const a of lists) {
          [a[0], a[1]] = [a[1], a[0]];
        }
      },
      'random forest graph: tree 0 does not start with its only root',
    ],
    [
      'a repeated node id',
      (graph: onnx.IGraphProto) => {
        const ids = attribute(graph, 'nodes_nodeids').ints!;
        const trees = attribute(graph, 'nodes_treeids').ints!;
        const last = trees.map(Number).lastIndexOf(0);
        ids[last] = ids[last - 1]!;
      },
      'random forest graph: tree 0 repeats a node id',
    ],
    [
      'an unknown node mode',
      (graph: onnx.IGraphProto) =>
        (attribute(graph, 'nodes_modes').strings![0] = new TextEncoder().encode('BRANCH_XX')),
      'random forest graph: unknown node mode BRANCH_XX',
    ],
    [
      'a split on an input that does not exist',
      (graph: onnx.IGraphProto) => (attribute(graph, 'nodes_featureids').ints![0] = 29),
      'random forest graph: node 0 of tree 0 is malformed',
    ],
    [
      'a split on a negative input',
      (graph: onnx.IGraphProto) => (attribute(graph, 'nodes_featureids').ints![0] = -1),
      'random forest graph: node 0 of tree 0 is malformed',
    ],
    [
      'a split to a node that does not exist',
      (graph: onnx.IGraphProto) => (attribute(graph, 'nodes_truenodeids').ints![0] = 99_999),
      'random forest graph: tree 0 does not start with its only root',
    ],
    [
      'a class weight on a split',
      (graph: onnx.IGraphProto) => (attribute(graph, 'class_nodeids').ints![0] = 0),
      'random forest graph: class weight 0 names no leaf',
    ],
    [
      'a class weight in a tree that does not exist',
      (graph: onnx.IGraphProto) => (attribute(graph, 'class_treeids').ints![0] = 99_999),
      'random forest graph: class weight 0 names no leaf',
    ],
  ])('refuses a forest with %s', (_what, edit, message) => {
    expect(() => readForestParameters(edited(rf, edit))).toThrow(new Error(message));
  });

  it('reads which way a missing value goes, and adds only the positive class’s weights', () => {
    const committedForest = readForestParameters(rf);
    const tracked = readForestParameters(
      edited(rf, (graph) => {
        const n = attribute(graph, 'nodes_treeids').ints!.length;
        graph.node![0].attribute!.push({
          name: 'nodes_missing_value_tracks_true',
          type: onnx.AttributeProto.AttributeType.INTS,
          ints: Array.from({ length: n }, (_, i) => (i === 0 ? 1 : 0)),
        });
      }),
    );
    expect(tracked.trees[0]!.missingTracksTrue[0]).toBe(1);
    expect(committedForest.trees[0]!.missingTracksTrue[0]).toBe(0);
    // The committed forest's leaves: class-1 weights only, each at most 1/100 (100 trees).
    const values = committedForest.trees.flatMap((t) => Array.from(t.value));
    expect(Math.max(...values)).toBeLessThanOrEqual(0.01 + 1e-9);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(committedForest.input).toBe('features');
  });
});
