import { Logger, type LoggerService } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import fc from 'fast-check';
import { INPUT_FIELDS } from '../../src/features/features';
import { close, createTestApp, listen } from './support/test-app';

/** Generated requests per run: bodies for the JSON endpoints and posts of the form, together. */
const RUNS = 10_000;

/**
 * A JSON value as text, built by hand so that it can hold what JSON.stringify never writes: duplicated keys,
 * `__proto__` as a plain key, numbers spelt with exponents or many digits.
 */
type JsonTree =
  | { kind: 'raw'; text: string }
  | { kind: 'array'; items: JsonTree[] }
  | { kind: 'object'; pairs: [string, JsonTree][] };

function jsonText(tree: JsonTree): string {
  switch (tree.kind) {
    case 'raw':
      return tree.text;
    case 'array':
      return `[${tree.items.map(jsonText).join(',')}]`;
    case 'object':
      return `{${tree.pairs.map(([key, value]) => `${JSON.stringify(key)}:${jsonText(value)}`).join(',')}}`;
  }
}

const raw = (text: string): JsonTree => ({ kind: 'raw', text });

/** The keys a hostile or confused client sends: the answers (any spelling), prototype keys, anything. */
const keyArb = fc.oneof(
  fc.constantFrom(...INPUT_FIELDS),
  fc.constantFrom(...INPUT_FIELDS).map((f) => f.replace(/ /g, '_').toLowerCase()),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty'),
  fc.string({ maxLength: 12 }),
);

/** Every JSON type, with the numbers and strings that trip parsers and coercion. */
const scalarArb: fc.Arbitrary<JsonTree> = fc.oneof(
  fc.integer().map((n) => raw(String(n))),
  fc
    .constantFrom(
      '0',
      '1',
      '-1',
      '65',
      '120',
      '121',
      '1e3',
      '6.5e1',
      '-0',
      '1E400',
      '-1e-400',
      '9007199254740993',
    )
    .map(raw),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => raw(JSON.stringify(n))),
  fc.constantFrom('true', 'false', 'null').map(raw),
  fc
    .constantFrom(
      ' 65 ',
      '65.0',
      '٦٥',
      '６５',
      '0x41',
      '1_000',
      '',
      ' ',
      'NaN',
      'Infinity',
      '-',
      '+1',
      '1.',
      '.5',
    )
    .map((s) => raw(JSON.stringify(s))),
  fc.string({ maxLength: 40 }).map((s) => raw(JSON.stringify(s))),
  fc.nat({ max: 20_000 }).map((n) => raw(JSON.stringify('x'.repeat(n)))),
);

const treeArb: fc.Arbitrary<JsonTree> = fc.letrec<{ tree: JsonTree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalarArb,
    fc.array(tie('tree'), { maxLength: 6 }).map((items): JsonTree => ({ kind: 'array', items })),
    fc
      .array(fc.tuple(keyArb, tie('tree')), { maxLength: 8 })
      .map((pairs): JsonTree => ({ kind: 'object', pairs })),
  ),
})).tree;

/** Something shaped like the 15 answers, every field any of the above, some keys twice, extra keys. */
const answersArb: fc.Arbitrary<JsonTree> = fc
  .tuple(
    fc.array(fc.tuple(fc.constantFrom(...INPUT_FIELDS), treeArb), { maxLength: 20 }),
    fc.array(fc.tuple(keyArb, treeArb), { maxLength: 4 }),
  )
  .map(([answers, extra]): JsonTree => ({ kind: 'object', pairs: [...answers, ...extra] }));

/** The 15 answers, valid or nearly: each in the forms the API coerces, or one of the values above. */
const nearlyValidArb: fc.Arbitrary<JsonTree> = fc
  .tuple(
    ...INPUT_FIELDS.map((field) =>
      fc.oneof(
        { weight: 8, arbitrary: field === 'AGE' ? fc.integer({ min: 0, max: 120 }) : fc.constantFrom(0, 1) },
        { weight: 1, arbitrary: fc.constantFrom<unknown>(true, false, '1', ' 0 ', 1.0, '65.0') },
        { weight: 1, arbitrary: scalarArb },
      ),
    ),
  )
  .map((values): JsonTree => ({
    kind: 'object',
    pairs: INPUT_FIELDS.map((field, i) => {
      const value = values[i];
      return [field, typeof value === 'object' ? (value as JsonTree) : raw(JSON.stringify(value))];
    }),
  }));

/** Deep nesting, big arrays: limits rather than shapes. */
const extremeArb: fc.Arbitrary<string> = fc.oneof(
  fc.nat({ max: 3000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
  fc.nat({ max: 40 }).map((depth) => `${'{"AGE":'.repeat(depth)}1${'}'.repeat(depth)}`),
  fc.nat({ max: 5000 }).map((n) => `[${Array.from({ length: n }, () => '1').join(',')}]`),
  fc.string({ maxLength: 60 }),
);

const jsonBodyArb = fc.oneof(
  { weight: 4, arbitrary: nearlyValidArb.map(jsonText) },
  { weight: 4, arbitrary: answersArb.map(jsonText) },
  { weight: 2, arbitrary: treeArb.map(jsonText) },
  { weight: 1, arbitrary: extremeArb },
);

const JSON_PATHS = ['/predict', '/predict_proba', '/features', '/api/predict', '/api/predict_proba'];

/** A form post as a browser (or a script pretending to be one) sends it, with qs's bracket syntax. */
const formKeyArb = fc.oneof(
  fc.constantFrom('AGE', 'GENDER', 'SMOKING', 'CHEST PAIN', 'CHRONIC_DISEASE', 'model', 'lang'),
  fc
    .tuple(
      fc.constantFrom('AGE', 'SMOKING', 'model', '__proto__', 'constructor'),
      fc.array(fc.constantFrom('constructor', '__proto__', 'prototype', '0', '', 'x'), {
        minLength: 1,
        maxLength: 4,
      }),
    )
    .map(([base, path]) => base + path.map((p) => `[${p}]`).join('')),
  fc.string({ maxLength: 10 }),
);
const formValueArb = fc.oneof(
  fc.constantFrom('on', '', '1', '0', '65', '150', '-1', '1e2', '٦٥', 'logistic_regression', 'random_forest'),
  fc.string({ maxLength: 20 }),
);
const formBodyArb = fc
  .array(fc.tuple(formKeyArb, formValueArb), { maxLength: 25 })
  .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'));

type Sent = { path: string; type: string; body: string };

const requestArb: fc.Arbitrary<Sent> = fc.oneof(
  {
    weight: 7,
    arbitrary: fc.record({
      path: fc.constantFrom(...JSON_PATHS),
      type: fc.constant('application/json'),
      body: jsonBodyArb,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      path: fc.constantFrom('/', '/api/'),
      type: fc.constant('application/x-www-form-urlencoded'),
      body: formBodyArb,
    }),
  },
);

/** Keeps what Nest's logger is asked to write as an error: a stack trace printed means an unexpected failure. */
class RecordingLogger implements LoggerService {
  readonly errors: unknown[] = [];
  log(): void {}
  warn(): void {}
  debug(): void {}
  verbose(): void {}
  fatal(message: unknown): void {
    this.errors.push(message);
  }
  error(message: unknown): void {
    this.errors.push(message);
  }
}

describe('any body, any form post (e2e, fast-check)', () => {
  let app: NestExpressApplication;
  let url: string;
  const logger = new RecordingLogger();

  beforeAll(async () => {
    Logger.overrideLogger(logger);
    app = await createTestApp({ env: { MODEL_POOL_SIZE: '2' } });
    url = await listen(app);
  });
  afterAll(async () => {
    await close(app);
    Logger.overrideLogger(false);
  });

  it(`answers ${RUNS} generated requests with 2xx or 4xx only, prints no error and pollutes no prototype`, async () => {
    const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(requestArb, async ({ path, type, body }) => {
        const res = await fetch(`${url}${path}`, {
          method: 'POST',
          headers: { 'content-type': type, accept: 'application/json' },
          body,
        });
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(res.status).toBeLessThan(500);
        expect(res.status).toBeGreaterThanOrEqual(200);
      }),
      { numRuns: RUNS },
    );

    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(RUNS);
    // Both outcomes were exercised: the generator is not stuck on one kind of answer.
    expect(statuses.get(200)).toBeGreaterThan(0);
    expect(statuses.get(422)).toBeGreaterThan(0);
    expect(logger.errors).toEqual([]);
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    process.stdout.write(
      `fuzz: ${RUNS} generated requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}\n`,
    );
    const health = await fetch(`${url}/health`);
    expect(await health.json()).toMatchObject({ status: 'healthy' });
  }, 600_000);
});
