import { onnx } from 'onnx-proto';
import { FEATURE_COUNT } from '../features/features';

/**
 * Reads the parameters of the two committed model families back out of their ONNX files (onnx-proto, as
 * src/training/onnx-export.ts writes them), so that an explanation describes the file the service runs and not a
 * TypeScript model that may have drifted from it. Pure functions, no onnxruntime.
 */

/**
 * The logistic regression as the graph computes it: `logit = bias + Σ_j weights_j · z_j` with the per-input
 * standardisation `z_j = factor_j · x_j + offset_j` folded from the elementwise ops between the input and the
 * MatMul (for the committed `Sub(mean) → Div(scale)`: factor = 1/scale, offset = −mean/scale). A Platt calibrator
 * between the MatMul and the Sigmoid (`Add(bias) → Mul(a) → Add(b)`) is folded into `weights` and `bias`, so
 * `logit` is the log-odds the Sigmoid receives: the calibrated one.
 */
export interface LinearParameters {
  input: string;
  weights: Float64Array;
  factor: Float64Array;
  offset: Float64Array;
  bias: number;
}

/** How a split node decides, as ai.onnx.ml TreeEnsemble `nodes_modes` says; `Leaf` marks a leaf. */
export enum BranchMode {
  Leaf = 0,
  Leq = 1,
  Lt = 2,
  Gte = 3,
  Gt = 4,
  Eq = 5,
  Neq = 6,
}

const BRANCH_MODES: Record<string, BranchMode> = {
  LEAF: BranchMode.Leaf,
  BRANCH_LEQ: BranchMode.Leq,
  BRANCH_LT: BranchMode.Lt,
  BRANCH_GTE: BranchMode.Gte,
  BRANCH_GT: BranchMode.Gt,
  BRANCH_EQ: BranchMode.Eq,
  BRANCH_NEQ: BranchMode.Neq,
};

/**
 * One tree of the ensemble, nodes re-indexed 0…n−1 with the root at 0. At a split, the row goes to `trueChild`
 * when `x[feature] <mode> threshold` holds (or, for a missing value, when `missingTracksTrue` is set); at a leaf,
 * `value` is the weight the leaf adds to the positive class's score.
 */
export interface TreeNodes {
  feature: Int32Array;
  threshold: Float64Array;
  mode: Uint8Array;
  missingTracksTrue: Uint8Array;
  trueChild: Int32Array;
  falseChild: Int32Array;
  value: Float64Array;
}

/** A TreeEnsembleClassifier's positive-class score: `Σ_trees value(leaf reached)` (post_transform NONE). */
export interface ForestParameters {
  input: string;
  trees: TreeNodes[];
}

type Int64 = number | { toNumber(): number };

const toNumber = (v: Int64): number => (typeof v === 'number' ? v : v.toNumber());

/**
 * The values the ONNX float32 input tensor holds for these 29 features: every comparison and product the
 * explainers make uses them, so they take the branches onnxruntime takes.
 */
export function modelInput(features: readonly number[]): Float64Array {
  const x = new Float64Array(features.length);
  for (let j = 0; j < features.length; j++) {
    x[j] = Math.fround(features[j]);
  }
  return x;
}

/** The graph and the name of its data input (older files also list the initializers as inputs). */
function decodeGraph(bytes: Uint8Array): { graph: onnx.IGraphProto; input: string } {
  const graph = onnx.ModelProto.decode(bytes).graph;
  const initializers = new Set((graph?.initializer ?? []).map((t) => t.name));
  const input = graph?.input?.find((i) => !initializers.has(i.name))?.name;
  if (!graph?.node || !input) {
    throw new Error('ONNX model has no graph, data input or nodes');
  }
  return { graph, input };
}

function tensorValues(tensor: onnx.ITensorProto): number[] {
  const { DataType } = onnx.TensorProto;
  const raw = tensor.rawData;
  if (tensor.dataType === DataType.FLOAT) {
    if (raw && raw.length > 0) {
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      return Array.from({ length: raw.byteLength / 4 }, (_, i) => view.getFloat32(4 * i, true));
    }
    return [...(tensor.floatData ?? [])];
  }
  if (tensor.dataType === DataType.DOUBLE) {
    if (raw && raw.length > 0) {
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      return Array.from({ length: raw.byteLength / 8 }, (_, i) => view.getFloat64(8 * i, true));
    }
    return [...(tensor.doubleData ?? [])];
  }
  throw new Error(`ONNX initializer "${tensor.name}": data type ${tensor.dataType} is not float or double`);
}

/**
 * Folds the logistic regression graph from the input to its Sigmoid: elementwise Sub/Add/Mul/Div with constant
 * initializers (scalar or one value per input) before a MatMul by a [29, 1] constant, then Add/Sub, Mul or Div
 * (by) of a scalar, in any order (a Mul or Div scales the weights and the bias so far: `a · (bias + w · z) =
 * a · bias + (a · w) · z`). Anything else (another op, a branch, a non-constant operand) is an error: the
 * explanation would not be exact.
 */
export function readLinearParameters(bytes: Uint8Array): LinearParameters {
  const { graph, input } = decodeGraph(bytes);
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name as string, t]));
  const factor = new Float64Array(FEATURE_COUNT).fill(1);
  const offset = new Float64Array(FEATURE_COUNT);
  let weights: Float64Array | undefined;
  let bias = 0;
  let current = input;
  for (;;) {
    const consumers = (graph.node ?? []).filter((n) => n.input?.includes(current));
    if (consumers.length !== 1) {
      throw new Error(
        `logistic regression graph: "${current}" has ${consumers.length} consumers, expected 1`,
      );
    }
    const [node] = consumers;
    const op = node.opType as string;
    if (op === 'Sigmoid') {
      break;
    }
    const operands = node.input ?? [];
    const variableFirst = operands[0] === current;
    const constantName = variableFirst ? operands[1] : operands[0];
    const tensor = constantName === undefined ? undefined : initializers.get(constantName);
    const constant = tensor === undefined ? undefined : tensorValues(tensor);
    if (operands.length !== 2 || constant === undefined) {
      throw new Error(
        `logistic regression graph: ${op} "${node.name}" is not an op with one constant operand`,
      );
    }
    if (weights === undefined && op !== 'MatMul') {
      const c = perInput(constant, `${op} "${node.name}"`);
      for (let j = 0; j < FEATURE_COUNT; j++) {
        if (op === 'Add') {
          offset[j] += c[j];
        } else if (op === 'Sub' && variableFirst) {
          offset[j] -= c[j];
        } else if (op === 'Sub') {
          factor[j] = -factor[j];
          offset[j] = c[j] - offset[j];
        } else if (op === 'Mul') {
          factor[j] *= c[j];
          offset[j] *= c[j];
        } else if (op === 'Div' && variableFirst) {
          factor[j] /= c[j];
          offset[j] /= c[j];
        } else {
          throw new Error(`logistic regression graph: unsupported ${op} "${node.name}" before the MatMul`);
        }
      }
    } else if (weights === undefined) {
      if (!variableFirst || constant.length !== FEATURE_COUNT) {
        throw new Error(`logistic regression graph: MatMul "${node.name}" is not x · W with W [29, 1]`);
      }
      weights = Float64Array.from(constant);
    } else if (constant.length === 1 && (op === 'Add' || (op === 'Sub' && variableFirst))) {
      bias += op === 'Add' ? constant[0] : -constant[0];
    } else if (constant.length === 1 && (op === 'Mul' || (op === 'Div' && variableFirst))) {
      const scale = (v: number): number => (op === 'Mul' ? v * constant[0] : v / constant[0]);
      weights = weights.map(scale);
      bias = scale(bias);
    } else {
      throw new Error(`logistic regression graph: unsupported ${op} "${node.name}" after the MatMul`);
    }
    current = node.output?.[0] as string;
  }
  if (weights === undefined) {
    throw new Error('logistic regression graph: no MatMul between the input and the Sigmoid');
  }
  return { input, weights, factor, offset, bias };
}

function perInput(values: number[], what: string): number[] {
  if (values.length === 1) {
    return new Array<number>(FEATURE_COUNT).fill(values[0]);
  }
  if (values.length !== FEATURE_COUNT) {
    throw new Error(`logistic regression graph: ${what} has ${values.length} values, expected 1 or 29`);
  }
  return values;
}

/**
 * The trees of the graph's TreeEnsembleClassifier and the weights of the positive class (label 1) at their leaves.
 * onnxruntime's classifier sums the leaves' `class_weights` over the trees (it has no averaging option: the export
 * divides each leaf's distribution by the number of trees, which makes the sum the soft-voted mean); with
 * post_transform NONE that sum is the score the graph slices out as p1. A `base_values` attribute is refused: with
 * one, onnxruntime 1.30 does not add it as the operator's specification says (with `[0, 0]` it returns
 * `[−s0, s0]`, s0 the class-0 sum; measured on a hand-built two-class ensemble), so no explanation could be exact.
 */
export function readForestParameters(bytes: Uint8Array): ForestParameters {
  const { graph, input } = decodeGraph(bytes);
  const ensembles = (graph.node ?? []).filter((n) => n.opType === 'TreeEnsembleClassifier');
  if (ensembles.length !== 1 || ensembles[0].input?.[0] !== input) {
    throw new Error('random forest graph: expected one TreeEnsembleClassifier reading the input');
  }
  const attributes = new Map((ensembles[0].attribute ?? []).map((a) => [a.name as string, a]));
  const ints = (name: string, required = true): number[] => {
    const a = attributes.get(name);
    if (!a && required) {
      throw new Error(`random forest graph: attribute ${name} is missing`);
    }
    return (a?.ints ?? []).map(toNumber);
  };
  const floats = (name: string): number[] => {
    const a = attributes.get(name);
    if (!a) {
      throw new Error(`random forest graph: attribute ${name} (as floats) is missing`);
    }
    return [...(a.floats ?? [])];
  };
  const decoder = new TextDecoder();
  const postTransform = attributes.get('post_transform')?.s;
  if (postTransform && decoder.decode(postTransform) !== 'NONE') {
    throw new Error('random forest graph: post_transform is not NONE, the scores are not probabilities');
  }
  if (attributes.has('base_values') || attributes.has('base_values_as_tensor')) {
    throw new Error('random forest graph: base_values are not supported');
  }
  const labels = ints('classlabels_int64s');
  const positive = labels.indexOf(1);
  const classIds = ints('class_ids');
  if (labels.length !== 2 || positive < 0 || new Set(classIds).size !== 2) {
    throw new Error('random forest graph: expected labels [0, 1] with leaf weights for both classes');
  }

  const treeIds = ints('nodes_treeids');
  const nodeIds = ints('nodes_nodeids');
  const featureIds = ints('nodes_featureids');
  const values = floats('nodes_values');
  const modes = (attributes.get('nodes_modes')?.strings ?? []).map((s) => decoder.decode(s));
  const trueIds = ints('nodes_truenodeids');
  const falseIds = ints('nodes_falsenodeids');
  const missing = ints('nodes_missing_value_tracks_true', false);
  const n = treeIds.length;
  if ([nodeIds, featureIds, values, modes, trueIds, falseIds].some((a) => a.length !== n)) {
    throw new Error('random forest graph: the nodes_* attributes differ in length');
  }

  const slots = new Map<number, number[]>();
  treeIds.forEach((tree, i) => slots.set(tree, [...(slots.get(tree) ?? []), i]));
  const trees = new Map<number, TreeNodes & { slot: Map<number, number> }>();
  for (const [treeId, members] of slots) {
    const children = new Set<number>();
    for (const i of members) {
      if (modes[i] !== 'LEAF') {
        children.add(trueIds[i]).add(falseIds[i]);
      }
    }
    // onnxruntime takes a tree's first listed node as its root: insist that it is the only node without a parent.
    const roots = members.filter((i) => !children.has(nodeIds[i]));
    if (roots.length !== 1 || roots[0] !== members[0]) {
      throw new Error(`random forest graph: tree ${treeId} does not start with its only root`);
    }
    const order = members;
    const slot = new Map(order.map((i, local) => [nodeIds[i], local]));
    const size = order.length;
    if (slot.size !== size) {
      throw new Error(`random forest graph: tree ${treeId} repeats a node id`);
    }
    const tree = {
      slot,
      feature: new Int32Array(size).fill(-1),
      threshold: new Float64Array(size),
      mode: new Uint8Array(size),
      missingTracksTrue: new Uint8Array(size),
      trueChild: new Int32Array(size).fill(-1),
      falseChild: new Int32Array(size).fill(-1),
      value: new Float64Array(size),
    };
    order.forEach((i, local) => {
      const mode = BRANCH_MODES[modes[i]];
      if (mode === undefined) {
        throw new Error(`random forest graph: unknown node mode ${modes[i]}`);
      }
      tree.mode[local] = mode;
      if (mode !== BranchMode.Leaf) {
        const yes = slot.get(trueIds[i]);
        const no = slot.get(falseIds[i]);
        if (yes === undefined || no === undefined || featureIds[i] < 0 || featureIds[i] >= FEATURE_COUNT) {
          throw new Error(`random forest graph: node ${nodeIds[i]} of tree ${treeId} is malformed`);
        }
        tree.feature[local] = featureIds[i];
        tree.threshold[local] = values[i];
        tree.missingTracksTrue[local] = missing[i] ?? 0;
        tree.trueChild[local] = yes;
        tree.falseChild[local] = no;
      }
    });
    trees.set(treeId, tree);
  }

  const classTrees = ints('class_treeids');
  const classNodes = ints('class_nodeids');
  const weights = floats('class_weights');
  classIds.forEach((cls, k) => {
    const tree = trees.get(classTrees[k]);
    const local = tree?.slot.get(classNodes[k]);
    if (tree === undefined || local === undefined || tree.mode[local] !== BranchMode.Leaf) {
      throw new Error(`random forest graph: class weight ${k} names no leaf`);
    }
    if (cls === positive) {
      tree.value[local] += weights[k];
    }
  });
  return { input, trees: [...trees.values()].map(({ slot: _slot, ...tree }) => tree) };
}
