import { onnx } from 'onnx-proto';
import { FEATURE_COUNT } from '../features/features';
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

/** p1 = sigmoid(((x − mean) / scale) · w + b): the scaler stays visible in the graph. */
export function logisticRegressionToOnnx(m: LogisticRegressionModel, threshold: number): Uint8Array {
  const tail = decisionTail('p1', threshold);
  return model(
    'logistic_regression',
    'Standardised, L2-regularised logistic regression on the 29 lungcheck features.',
    [
      node('Sub', [ONNX_INTERFACE.input, 'mean'], ['centred']),
      node('Div', ['centred', 'scale'], ['standardised']),
      node('MatMul', ['standardised', 'weights'], ['logit_raw']),
      node('Add', ['logit_raw', 'bias'], ['logit']),
      node('Sigmoid', ['logit'], ['p1']),
      ...tail.nodes,
    ],
    [
      floatTensor('mean', [FEATURE_COUNT], m.mean),
      floatTensor('scale', [FEATURE_COUNT], m.scale),
      floatTensor('weights', [FEATURE_COUNT, 1], m.weights),
      floatTensor('bias', [1], [m.bias]),
      ...tail.initializers,
    ],
  );
}

/**
 * ai.onnx.ml TreeEnsembleClassifier: every leaf adds its class distribution divided by the number of trees, so the
 * scores are the soft-voted probabilities; the decision tail then applies the card's threshold.
 */
export function randomForestToOnnx(m: RandomForestModel, threshold: number): Uint8Array {
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
  return model(
    'random_forest',
    `Random forest of ${m.trees.length} CART trees (soft voting) on the 29 lungcheck features.`,
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
      node('Slice', ['forest_scores', 'p1_start', 'p1_end', 'p1_axis'], ['p1']),
      ...tail.nodes,
    ],
    [
      int64Tensor('p1_start', [1], [1]),
      int64Tensor('p1_end', [1], [2]),
      int64Tensor('p1_axis', [1], [1]),
      ...tail.initializers,
    ],
  );
}
