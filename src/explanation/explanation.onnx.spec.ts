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
