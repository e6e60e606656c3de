import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { FEATURE_COUNT, featureMatrix, INPUT_FIELDS, SurveyAnswers } from '../features/features';
import type { ModelCard } from '../model-pool/model-card';
import { seededRandom } from '../training/random';
import { loadSurveyDataset } from '../training/survey-dataset';
import { SURVEY_DATA } from '../../test/fixtures/survey-data';
import { Explanation } from './explanation.answers';
import { readForestParameters } from './explanation.onnx';
import { explainerFor } from './explanation.model';
import { leafOf } from './explanation.tree-shap';

/**
 * The explanations against the reference: onnxruntime running the committed ONNX files (the model cards name
 * their input and outputs), on every de-duplicated training row and on 500 random valid answer sets.
 */

const MODEL_DIR = join(__dirname, '../../model');
const card = (name: string): ModelCard =>
  JSON.parse(readFileSync(join(MODEL_DIR, `${name}.card.json`), 'utf8')) as ModelCard;
const rows = loadSurveyDataset(SURVEY_DATA).rows.map((r) => r.answers);

/** Valid answer sets (AGE 0–120, the others 0/1), the same ones every run. */
function randomAnswers(count: number, seed: number): SurveyAnswers[] {
  const random = seededRandom(seed);
  return Array.from(
    { length: count },
    () =>
      Object.fromEntries(
        INPUT_FIELDS.map((f) => [f, f === 'AGE' ? Math.floor(random() * 121) : random() < 0.5 ? 0 : 1]),
      ) as SurveyAnswers,
  );
}

const answerSets: [string, SurveyAnswers[]][] = [
  ['every de-duplicated training row', rows],
  ['500 random valid answer sets', randomAnswers(500, 20261202)],
];

/** The named outputs of a model run on a row-major [N, 29] float32 matrix. */
async function run(
  bytes: Uint8Array,
  input: string,
  matrix: Float32Array,
  outputs: string[],
): Promise<Float32Array[]> {
  const session = await InferenceSession.create(bytes);
  try {
    const result = await session.run(
      { [input]: new Tensor('float32', matrix, [matrix.length / FEATURE_COUNT, FEATURE_COUNT]) },
      outputs,
    );
    return outputs.map((name) => result[name].data as Float32Array);
  } finally {
    await session.release();
  }
}

/** The graph with its log-odds tensor `logit` (the Sigmoid's input) exposed as an extra output. */
function withLogitOutput(model: Uint8Array): Uint8Array {
  const proto = onnx.ModelProto.decode(model);
  proto.graph?.output?.push({
    name: 'logit',
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: [{ dimParam: 'N' }, { dimValue: 1 }] },
      },
    },
  });
  return onnx.ModelProto.encode(proto).finish();
}

const total = (values: readonly { contribution: number }[]): number =>
  values.reduce((s, v) => s + v.contribution, 0);

/** Largest |base_value + Σ contributions − output|, over the 29 inputs and over the 15 answers. */
function additivityError(explanations: readonly Explanation[]): number {
  return Math.max(
    ...explanations.flatMap((e) => [
      Math.abs(e.base_value + total(e.features) - e.output),
      Math.abs(e.base_value + total(e.contributions) - e.output),
    ]),
  );
}

describe('logistic regression explanations against onnxruntime', () => {
  const { onnx: io, onnx_file, family, explanation } = card('logistic_regression');
  const bytes = readFileSync(join(MODEL_DIR, onnx_file));
  // What the service serves: the explainer of the card's background, not of the rows computed here.
  const explain = explainerFor(family, explanation!, bytes);

  describe.each(answerSets)('on %s', (_name, answers) => {
    let explanations: Explanation[];
    let logit: Float32Array;
    let probabilities: Float32Array;
    beforeAll(async () => {
      explanations = answers.map(explain);
      [logit, probabilities] = await run(withLogitOutput(bytes), io.input, featureMatrix(answers), [
        'logit',
        io.probabilities_output,
      ]);
    });

    it('explains all 29 inputs and all 15 answers, adding up to the output (≤ 1e-6)', () => {
      expect(explanations.every((e) => e.features.length === FEATURE_COUNT)).toBe(true);
      expect(explanations.every((e) => e.contributions.length === INPUT_FIELDS.length)).toBe(true);
      expect(additivityError(explanations)).toBeLessThanOrEqual(1e-6);
    });

    // logit(p) of the float32 p1 output is no 1e-5 reference: near p = 1 one float32 step of p moves the logit
    // by up to 2⁻²⁴ / (p (1 − p)), 1.9e-5 at the most confident training row.
    it('outputs onnxruntime’s log-odds (≤ 1e-5) and, through the sigmoid, its probability p1 (≤ 1e-6)', () => {
      const logitErrors = explanations.map((e, i) => Math.abs(e.output - logit[i]));
      const probabilityErrors = explanations.map((e, i) =>
        Math.abs(1 / (1 + Math.exp(-e.output)) - probabilities[2 * i + 1]),
      );
      expect(Math.max(...logitErrors)).toBeLessThanOrEqual(1e-5);
      expect(Math.max(...probabilityErrors)).toBeLessThanOrEqual(1e-6);
    });
  });
});

describe('random forest explanations against onnxruntime', () => {
  const { onnx: io, onnx_file, family, explanation } = card('random_forest');
  const bytes = readFileSync(join(MODEL_DIR, onnx_file));
  const explain = explainerFor(family, explanation!, bytes);

  describe.each(answerSets)('on %s', (_name, answers) => {
    let explanations: Explanation[];
    let probabilities: Float32Array;
    beforeAll(async () => {
      explanations = answers.map(explain);
      [probabilities] = await run(bytes, io.input, featureMatrix(answers), [io.probabilities_output]);
    });

    it('explains all 29 inputs and all 15 answers, adding up to the output (≤ 1e-6)', () => {
      expect(explanations.every((e) => e.features.length === FEATURE_COUNT)).toBe(true);
      expect(explanations.every((e) => e.contributions.length === INPUT_FIELDS.length)).toBe(true);
      expect(additivityError(explanations)).toBeLessThanOrEqual(1e-6);
    });

    it('outputs onnxruntime’s probability p1 (≤ 1e-5)', () => {
      const errors = explanations.map((e, i) => Math.abs(e.output - probabilities[2 * i + 1]));
      expect(Math.max(...errors)).toBeLessThanOrEqual(1e-5);
    });
  });

  it('takes the forest’s mean probability over the training rows as the base value (≤ 1e-6)', async () => {
    const [probabilities] = await run(bytes, io.input, featureMatrix(rows), [io.probabilities_output]);
    const mean = rows.reduce((s, _, i) => s + probabilities[2 * i + 1], 0) / rows.length;
    expect(Math.abs(explain(rows[0]).base_value - mean)).toBeLessThanOrEqual(1e-6);
  });
});

const ML = 'ai.onnx.ml';
const { AttributeType } = onnx.AttributeProto;
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * Two trees using every node mode, missing values sent either way, node ids neither dense nor in order: what
 * onnxruntime does with each is the reference.
 */
function handBuiltEnsemble(): Uint8Array {
  // tree, node, feature, threshold, mode, true id, false id, missing → true
  const splits: [number, number, number, number, string, number, number, number][] = [
    [0, 0, 0, 1.5, 'BRANCH_LEQ', 4, 9, 1],
    [0, 4, 1, 2, 'BRANCH_EQ', 5, 6, 0],
    [0, 9, 2, 0.25, 'BRANCH_GTE', 10, 11, 0],
    [1, 3, 3, -1, 'BRANCH_GT', 1, 0, 0],
    [1, 1, 4, 0, 'BRANCH_NEQ', 7, 2, 1],
    [1, 2, 0, 1.5, 'BRANCH_LT', 5, 6, 0],
  ];
  // tree, leaf id, [class 0 weight, class 1 weight]
  const leaves: [number, number, [number, number]][] = [
    [0, 5, [0.1, 0.2]],
    [0, 6, [0.3, 0.05]],
    [0, 10, [0.6, 0.125]],
    [0, 11, [0.2, 0.4]],
    [1, 0, [0.5, 0.01]],
    [1, 7, [0.25, 0.3]],
    [1, 5, [0.15, 0.02]],
    [1, 6, [0.05, 0.6]],
  ];
  const nodes = [
    ...splits.map(([t, n, f, v, m, yes, no, missing]) => ({ t, n, f, v, m, yes, no, missing })),
    ...leaves.map(([t, n]) => ({ t, n, f: 0, v: 0, m: 'LEAF', yes: 0, no: 0, missing: 0 })),
  ].sort((a, b) => a.t - b.t);
  const ints = (name: string, values: number[]): onnx.IAttributeProto => ({
    name,
    type: AttributeType.INTS,
    ints: values,
  });
  const floats = (name: string, values: number[]): onnx.IAttributeProto => ({
    name,
    type: AttributeType.FLOATS,
    floats: values,
  });
  const classes = leaves.flatMap(([t, n, w]) => [0, 1].map((c) => ({ t, n, c, w: w[c] })));
  const io = (name: string, elemType: number, dims: (number | string)[]): onnx.IValueInfoProto => ({
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
  const { DataType } = onnx.TensorProto;
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [
        { domain: '', version: 13 },
        { domain: ML, version: 3 },
      ],
      graph: {
        name: 'hand_built',
        node: [
          {
            opType: 'TreeEnsembleClassifier',
            domain: ML,
            input: ['features'],
            output: ['label', 'scores'],
            attribute: [
              ints('classlabels_int64s', [0, 1]),
              ints(
                'nodes_treeids',
                nodes.map((n) => n.t),
              ),
              ints(
                'nodes_nodeids',
                nodes.map((n) => n.n),
              ),
              ints(
                'nodes_featureids',
                nodes.map((n) => n.f),
              ),
              floats(
                'nodes_values',
                nodes.map((n) => n.v),
              ),
              { name: 'nodes_modes', type: AttributeType.STRINGS, strings: nodes.map((n) => text(n.m)) },
              ints(
                'nodes_truenodeids',
                nodes.map((n) => n.yes),
              ),
              ints(
                'nodes_falsenodeids',
                nodes.map((n) => n.no),
              ),
              ints(
                'nodes_missing_value_tracks_true',
                nodes.map((n) => n.missing),
              ),
              ints(
                'class_treeids',
                classes.map((c) => c.t),
              ),
              ints(
                'class_nodeids',
                classes.map((c) => c.n),
              ),
              ints(
                'class_ids',
                classes.map((c) => c.c),
              ),
              floats(
                'class_weights',
                classes.map((c) => c.w),
              ),
              { name: 'post_transform', type: AttributeType.STRING, s: text('NONE') },
            ],
          },
        ],
        input: [io('features', DataType.FLOAT, ['N', FEATURE_COUNT])],
        output: [io('label', DataType.INT64, ['N']), io('scores', DataType.FLOAT, ['N', 2])],
      },
    }),
  ).finish();
}

describe('tree ensemble semantics against onnxruntime', () => {
  it('follows onnxruntime on every node mode, missing values and sparse node ids (≤ 1e-6)', async () => {
    const bytes = handBuiltEnsemble();
    const { trees } = readForestParameters(bytes);
    const values = [NaN, -2, -1, 0, 0.25, 1, 1.5, 2, 3];
    const inputs = values.flatMap((a) =>
      values.flatMap((b) =>
        values.map((c) => [a, b, c, b, a, ...new Array<number>(FEATURE_COUNT - 5).fill(0)]),
      ),
    );
    const [scores] = await run(bytes, 'features', Float32Array.from(inputs.flat()), ['scores']);
    const errors = inputs.map((x, i) =>
      Math.abs(trees.reduce((s, tree) => s + tree.value[leafOf(tree, x)], 0) - scores[2 * i + 1]),
    );
    expect(Math.max(...errors)).toBeLessThanOrEqual(1e-6);
  });
});
