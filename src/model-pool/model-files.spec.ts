import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  chooseDefaultModel,
  discoverModels,
  ModelLoadError,
  modelVersionOf,
  readModelCard,
} from './model-files';

const MODEL_DIR = join(__dirname, '../../model');
const LR = 'logistic_regression';

describe('discoverModels', () => {
  let dir: string;
  const copy = (name: string, ...exts: string[]): void =>
    exts.forEach((ext) => copyFileSync(join(MODEL_DIR, `${name}${ext}`), join(dir, `${name}${ext}`)));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lungcheck-models-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds every model with its card in the committed model directory', () => {
    const found = discoverModels(MODEL_DIR);
    expect(found.map((f) => f.name)).toEqual(['logistic_regression', 'random_forest']);
    expect(found[0]).toEqual({
      name: LR,
      onnxPath: join(MODEL_DIR, `${LR}.onnx`),
      cardPath: join(MODEL_DIR, `${LR}.card.json`),
      explicit: false,
    });
  });

  it('adds the MODEL_PATH model as explicit, replacing the same name from the directory', () => {
    copy(LR, '.onnx', '.card.json');
    const found = discoverModels(MODEL_DIR, join(dir, `${LR}.onnx`));
    expect(found.find((f) => f.name === LR)).toEqual({
      name: LR,
      onnxPath: join(dir, `${LR}.onnx`),
      cardPath: join(dir, `${LR}.card.json`),
      explicit: true,
    });
    expect(found).toHaveLength(2);
  });

  it('serves MODEL_PATH alone when the directory does not exist', () => {
    copy(LR, '.onnx', '.card.json');
    expect(discoverModels(join(dir, 'absent'), join(dir, `${LR}.onnx`)).map((f) => f.name)).toEqual([LR]);
  });

  it('lists the models by name, not in the order of their file names', () => {
    copy(LR, '.onnx', '.card.json');
    for (const ext of ['.onnx', '.card.json']) {
      copyFileSync(join(MODEL_DIR, `${LR}${ext}`), join(dir, `${LR}-small${ext}`));
    }
    expect(discoverModels(dir).map((f) => f.name)).toEqual([LR, `${LR}-small`]);
  });

  it.each([
    [
      'a missing directory',
      () => discoverModels('/nonexistent/models'),
      'Model directory not found: /nonexistent/models (MODEL_DIR)',
    ],
    [
      'a missing MODEL_PATH',
      () => discoverModels(MODEL_DIR, '/tmp/absent.onnx'),
      'Model file not found: /tmp/absent.onnx (MODEL_PATH)',
    ],
  ])('fails on %s naming it', (_what, run, message) => {
    expect(run).toThrow(ModelLoadError);
    expect(run).toThrow(message);
    expect(run).toThrow(expect.objectContaining({ name: 'ModelLoadError' }));
  });

  it('fails on an empty directory naming it', () => {
    expect(() => discoverModels(dir)).toThrow(`No model in ${dir} (MODEL_DIR)`);
  });

  it('fails on a card whose model file is missing, naming the file', () => {
    copy(LR, '.card.json');
    expect(() => discoverModels(dir)).toThrow(`Model file not found: ${join(dir, `${LR}.onnx`)}`);
  });

  it('fails on a model file without its card, naming the card', () => {
    copy(LR, '.onnx');
    expect(() => discoverModels(dir)).toThrow(`Model card not found: ${join(dir, `${LR}.card.json`)}`);
  });
});

describe('readModelCard', () => {
  let dir: string;
  const onnx = readFileSync(join(MODEL_DIR, `${LR}.onnx`));
  const card = JSON.parse(readFileSync(join(MODEL_DIR, `${LR}.card.json`), 'utf8')) as Record<
    string,
    unknown
  >;
  const files = () => ({
    name: LR,
    onnxPath: join(dir, `${LR}.onnx`),
    cardPath: join(dir, `${LR}.card.json`),
    explicit: false,
  });
  const withCard = (content: unknown): void =>
    writeFileSync(files().cardPath, typeof content === 'string' ? content : JSON.stringify(content));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lungcheck-card-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a card that matches its model file', () => {
    withCard(card);
    expect(readModelCard(files(), onnx)).toMatchObject({ name: LR, version: modelVersionOf(onnx) });
  });

  it('rejects an unreadable card with the reason', () => {
    expect(() => readModelCard(files(), onnx)).toThrow(
      /Invalid model card .*logistic_regression\.card\.json: .*ENOENT: no such file or directory/,
    );
  });

  it.each([
    [
      'invalid JSON',
      '{"name":',
      /Invalid model card .*logistic_regression\.card\.json: Unexpected end of JSON input/,
    ],
    ['an array', [card], /: not a JSON object$/],
    ['null', null, /: not a JSON object$/],
    ['no name', { ...card, name: undefined }, /: "name" must be a non-empty string$/],
    ['a numeric name', { ...card, name: 7 }, /: "name" must be a non-empty string$/],
    ['an empty name', { ...card, name: '' }, /: "name" must be a non-empty string$/],
    ['an empty version', { ...card, version: '' }, /: "version" must be a non-empty string$/],
    [
      'no threshold',
      { ...card, threshold: undefined },
      /"threshold\.value" must be a number between 0 and 1/,
    ],
    [
      'a threshold given as a string',
      { ...card, threshold: { value: '0.5' } },
      /"threshold\.value" must be a number between 0 and 1/,
    ],
    [
      'a threshold of 0',
      { ...card, threshold: { value: 0 } },
      /"threshold\.value" must be a number between 0 and 1/,
    ],
    [
      'a threshold of 1',
      { ...card, threshold: { value: 1 } },
      /"threshold\.value" must be a number between 0 and 1/,
    ],
    [
      'a threshold out of (0, 1)',
      { ...card, threshold: { value: 1.5 } },
      /"threshold\.value" must be a number between 0 and 1/,
    ],
    ['another feature order', { ...card, feature_order: ['AGE'] }, /"feature_order" differs/],
    [
      'another version than the file',
      { ...card, version: '000000000000' },
      /describes version 000000000000 but .* is version/,
    ],
    ['no ONNX names', { ...card, onnx: {} }, /"onnx\.input" must be a string/],
    ['no ONNX section', { ...card, onnx: undefined }, /"onnx\.input" must be a string/],
    [
      'no probabilities output',
      { ...card, onnx: { input: 'features' } },
      /"onnx\.probabilities_output" must be a string/,
    ],
  ])('rejects %s naming the card', (_what, content, message) => {
    withCard(content);
    expect(() => readModelCard(files(), onnx)).toThrow(ModelLoadError);
    expect(() => readModelCard(files(), onnx)).toThrow(message);
  });
});

describe(chooseDefaultModel.name, () => {
  const model = (name: string, flagged: boolean, explicit = false) => ({
    name,
    explicit,
    card: { default: flagged },
  });

  it("takes MODEL_PATH's model, else the one card marked default, else the first by name", () => {
    expect(chooseDefaultModel([model('b', true), model('a', false, true)])).toEqual({
      name: 'a',
      flagged: 1,
    });
    expect(chooseDefaultModel([model('a', false), model('b', true)])).toEqual({ name: 'b', flagged: 1 });
    expect(chooseDefaultModel([model('c', true), model('b', true)])).toEqual({ name: 'b', flagged: 2 });
    expect(chooseDefaultModel([model('c', false), model('b', false)])).toEqual({ name: 'b', flagged: 0 });
    expect(chooseDefaultModel([])).toEqual({ name: undefined, flagged: 0 });
  });
});
