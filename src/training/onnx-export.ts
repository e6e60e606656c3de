import { onnx } from 'onnx-proto';
import { FEATURE_COUNT } from '../features/features';
import type { Calibrator } from './calibration';
import type { LogisticRegressionModel } from './logistic-regression';
import type { RandomForestModel, TreeNodeLike } from './random-forest';

/**
 * ONNX export of the trained models. Every model has the same interface: input `features` float32 [N, 29];
 * outputs `label` int64 [N] (p1 ≥ threshold, the card's decision rule) and `probabilities` float32 [N, 2].
 * Tensor outputs only: onnxruntime-node cannot return ZipMap / sequence outputs.
 */
export const ONNX_INTERFACE = {
  input: 'features',
  label_output: 'label',
  probabilities_output: 'probabilities',
  opset: 13,
} as const;

const ML_DOMAIN = 'ai.onnx.ml';
const { AttributeType } = onnx.AttributeProto;
const { DataType } = onnx.TensorProto;

type Attribute = onnx.IAttributeProto;
const ints = (name: string, values: number[]): Attribute => ({
  name,
  type: AttributeType.INTS,
  ints: values,
});
const floats = (name: string, values: number[]): Attribute => ({
  name,
  type: AttributeType.FLOATS,
  floats: values,
});
const int = (name: string, value: number): Attribute => ({ name, type: AttributeType.INT, i: value });
const str = (name: string, value: string): Attribute => ({
  name,
  type: AttributeType.STRING,
  s: new TextEncoder().encode(value),
});
const strings = (name: string, values: string[]): Attribute => ({
  name,
  type: AttributeType.STRINGS,
  strings: values.map((v) => new TextEncoder().encode(v)),
});

function node(
  opType: string,
  inputs: string[],
  outputs: string[],
  attribute: Attribute[] = [],
  domain = '',
): onnx.INodeProto {
  return { opType, input: inputs, output: outputs, name: outputs[0], attribute, domain };
}

function floatTensor(name: string, dims: number[], values: number[]): onnx.ITensorProto {
  return { name, dims, dataType: DataType.FLOAT, floatData: values };
}

function int64Tensor(name: string, dims: number[], values: number[]): onnx.ITensorProto {
  return { name, dims, dataType: DataType.INT64, int64Data: values };
}

function valueInfo(name: string, elemType: number, dims: (number | string)[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/**
 * The shared tail of every graph: from p1 [N, 1], build probabilities [N, 2] = [1 − p1, p1] and label [N] =
 * int64(p1 ≥ threshold).
 */
function decisionTail(
  p1: string,
  threshold: number,
): { nodes: onnx.INodeProto[]; initializers: onnx.ITensorProto[] } {
  return {
    initializers: [
      floatTensor('one', [], [1]),
      floatTensor('threshold', [], [threshold]),
      int64Tensor('squeeze_axes', [1], [1]),
    ],
    nodes: [
      node('Sub', ['one', p1], ['p0']),
      node('Concat', ['p0', p1], [ONNX_INTERFACE.probabilities_output], [int('axis', 1)]),
      node('GreaterOrEqual', [p1, 'threshold'], ['is_positive']),
      node('Cast', ['is_positive'], ['label_2d'], [int('to', DataType.INT64)]),
      node('Squeeze', ['label_2d', 'squeeze_axes'], [ONNX_INTERFACE.label_output]),
    ],
  };
}

function model(
  name: string,
  doc: string,
  nodes: onnx.INodeProto[],
  initializers: onnx.ITensorProto[],
): Uint8Array {
  const proto = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'lungcheck',
    producerVersion: '1',
    domain: 'lungcheck',
    modelVersion: 1,
    docString: doc,
    opsetImport: [
      { domain: '', version: ONNX_INTERFACE.opset },
      { domain: ML_DOMAIN, version: 3 },
    ],
    graph: {
      name,
      node: nodes,
      initializer: initializers,
      input: [valueInfo(ONNX_INTERFACE.input, DataType.FLOAT, ['N', FEATURE_COUNT])],
      output: [
        valueInfo(ONNX_INTERFACE.label_output, DataType.INT64, ['N']),
        valueInfo(ONNX_INTERFACE.probabilities_output, DataType.FLOAT, ['N', 2]),
      ],
    },
  });
  return onnx.ModelProto.encode(proto).finish();
}

/**
 * A calibrator of the probability `input` [N, 1] as ONNX nodes writing `output` [N, 1]. Platt on the probability:
 * Mul(a) → Add(b) → Sigmoid. Isotonic: the number of thresholds ≤ p (GreaterOrEqual against the [K] thresholds,
 * Cast to int64, ReduceSum over them) indexes the K + 1 values (Gather), so the output is one of the fitted values
 * exactly (as float32) rather than a float32 sum of steps.
 */
function probabilityCalibration(
  input: string,
  output: string,
  calibrator: Calibrator,
): { nodes: onnx.INodeProto[]; initializers: onnx.ITensorProto[] } {
  if (calibrator.method === 'platt') {
    if (calibrator.input !== 'probability') {
      throw new Error('Platt scaling of the log-odds needs a graph with a logit: the logistic regression');
    }
    return {
      nodes: [
        node('Mul', [input, 'platt_a'], ['platt_scaled']),
        node('Add', ['platt_scaled', 'platt_b'], ['platt_logit']),
        node('Sigmoid', ['platt_logit'], [output]),
      ],
      initializers: [floatTensor('platt_a', [], [calibrator.a]), floatTensor('platt_b', [], [calibrator.b])],
    };
  }
  // No step at all (one block): a threshold nothing reaches keeps the graph the same shape.
  const thresholds = calibrator.thresholds.length > 0 ? calibrator.thresholds : [Infinity];
  const values =
    calibrator.thresholds.length > 0 ? calibrator.values : [calibrator.values[0], calibrator.values[0]];
  return {
    nodes: [
      node('GreaterOrEqual', [input, 'isotonic_thresholds'], ['isotonic_reached']),
      node('Cast', ['isotonic_reached'], ['isotonic_reached_int'], [int('to', DataType.INT64)]),
      node('ReduceSum', ['isotonic_reached_int', 'isotonic_axes'], ['isotonic_step'], [int('keepdims', 1)]),
      node('Gather', ['isotonic_values', 'isotonic_step'], [output], [int('axis', 0)]),
    ],
    initializers: [
      floatTensor('isotonic_thresholds', [thresholds.length], thresholds),
      floatTensor('isotonic_values', [values.length], values),
      int64Tensor('isotonic_axes', [1], [1]),
    ],
  };
}

/**
 * p1 = sigmoid(((x − mean) / scale) · w + b): the scaler stays visible in the graph. With a Platt calibrator of the
 * log-odds, `Mul(a) → Add(b)` sits between the Add of the bias and the Sigmoid, whose input stays named `logit` (now
 * the calibrated log-odds); an isotonic calibrator follows the Sigmoid.
 */
export function logisticRegressionToOnnx(
  m: LogisticRegressionModel,
  threshold: number,
  calibrator: Calibrator | null = null,
): Uint8Array {
  const tail = decisionTail('p1', threshold);
  const nodes: onnx.INodeProto[] = [
    node('Sub', [ONNX_INTERFACE.input, 'mean'], ['centred']),
    node('Div', ['centred', 'scale'], ['standardised']),
    node('MatMul', ['standardised', 'weights'], ['logit_raw']),
  ];
  const initializers: onnx.ITensorProto[] = [
    floatTensor('mean', [FEATURE_COUNT], m.mean),
    floatTensor('scale', [FEATURE_COUNT], m.scale),
    floatTensor('weights', [FEATURE_COUNT, 1], m.weights),
    floatTensor('bias', [1], [m.bias]),
  ];
  if (calibrator?.method === 'platt' && calibrator.input === 'logit') {
    nodes.push(
      node('Add', ['logit_raw', 'bias'], ['logit_uncalibrated']),
      node('Mul', ['logit_uncalibrated', 'platt_a'], ['logit_scaled']),
      node('Add', ['logit_scaled', 'platt_b'], ['logit']),
      node('Sigmoid', ['logit'], ['p1']),
    );
    initializers.push(floatTensor('platt_a', [], [calibrator.a]), floatTensor('platt_b', [], [calibrator.b]));
  } else if (calibrator) {
    const calibration = probabilityCalibration('p_uncalibrated', 'p1', calibrator);
    nodes.push(
      node('Add', ['logit_raw', 'bias'], ['logit']),
      node('Sigmoid', ['logit'], ['p_uncalibrated']),
      ...calibration.nodes,
    );
    initializers.push(...calibration.initializers);
  } else {
    nodes.push(node('Add', ['logit_raw', 'bias'], ['logit']), node('Sigmoid', ['logit'], ['p1']));
  }
  return model(
    'logistic_regression',
    'Standardised, L2-regularised logistic regression on the 29 lungcheck features' +
      (calibrator ? `, ${calibrator.method === 'platt' ? 'Platt-scaled' : 'isotonic-calibrated'}.` : '.'),
    [...nodes, ...tail.nodes],
    [...initializers, ...tail.initializers],
  );
}

/**
 * ai.onnx.ml TreeEnsembleClassifier: every leaf adds its class distribution divided by the number of trees, so the
 * scores are the soft-voted probabilities; the decision tail then applies the card's threshold.
 */
export function randomForestToOnnx(
  m: RandomForestModel,
  threshold: number,
  calibrator: Calibrator | null = null,
): Uint8Array {
  const a = {
    treeIds: [] as number[],
    nodeIds: [] as number[],
    featureIds: [] as number[],
    values: [] as number[],
    modes: [] as string[],
    trueIds: [] as number[],
    falseIds: [] as number[],
    classTreeIds: [] as number[],
    classNodeIds: [] as number[],
    classIds: [] as number[],
    classWeights: [] as number[],
  };
  const share = 1 / m.trees.length;
  m.trees.forEach((tree, treeId) => {
    let nextId = 0;
    const visit = (n: TreeNodeLike): number => {
      const id = nextId++;
      const slot = a.nodeIds.length;
      a.treeIds.push(treeId);
      a.nodeIds.push(id);
      if (n.left && n.right) {
        a.featureIds.push(tree.columns[n.splitColumn as number]);
        a.values.push(n.splitValue as number);
        a.modes.push('BRANCH_LT');
        a.trueIds.push(-1);
        a.falseIds.push(-1);
        a.trueIds[slot] = visit(n.left);
        a.falseIds[slot] = visit(n.right);
      } else {
        a.featureIds.push(0);
        a.values.push(0);
        a.modes.push('LEAF');
        a.trueIds.push(0);
        a.falseIds.push(0);
        const distribution = (n.distribution as { to1DArray(): number[] }).to1DArray();
        [0, 1].forEach((cls) => {
          a.classTreeIds.push(treeId);
          a.classNodeIds.push(id);
          a.classIds.push(cls);
          a.classWeights.push((distribution[cls] ?? 0) * share);
        });
      }
      return id;
    };
    visit(tree.root);
  });
  const tail = decisionTail('p1', threshold);
  const calibration = calibrator
    ? probabilityCalibration('p_uncalibrated', 'p1', calibrator)
    : { nodes: [], initializers: [] };
  return model(
    'random_forest',
    `Random forest of ${m.trees.length} CART trees (soft voting) on the 29 lungcheck features` +
      (calibrator ? `, ${calibrator.method === 'platt' ? 'Platt-scaled' : 'isotonic-calibrated'}.` : '.'),
    [
      node(
        'TreeEnsembleClassifier',
        [ONNX_INTERFACE.input],
        ['forest_label', 'forest_scores'],
        [
          ints('classlabels_int64s', [0, 1]),
          ints('nodes_treeids', a.treeIds),
          ints('nodes_nodeids', a.nodeIds),
          ints('nodes_featureids', a.featureIds),
          floats('nodes_values', a.values),
          strings('nodes_modes', a.modes),
          ints('nodes_truenodeids', a.trueIds),
          ints('nodes_falsenodeids', a.falseIds),
          ints('class_treeids', a.classTreeIds),
          ints('class_nodeids', a.classNodeIds),
          ints('class_ids', a.classIds),
          floats('class_weights', a.classWeights),
          str('post_transform', 'NONE'),
        ],
        ML_DOMAIN,
      ),
      node(
        'Slice',
        ['forest_scores', 'p1_start', 'p1_end', 'p1_axis'],
        [calibrator ? 'p_uncalibrated' : 'p1'],
      ),
      ...calibration.nodes,
      ...tail.nodes,
    ],
    [
      int64Tensor('p1_start', [1], [1]),
      int64Tensor('p1_end', [1], [2]),
      int64Tensor('p1_axis', [1], [1]),
      ...calibration.initializers,
      ...tail.initializers,
    ],
  );
}
