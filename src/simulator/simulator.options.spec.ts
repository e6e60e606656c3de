import { EXIT_USAGE, parseSimulatorOptions, type ParseOutcome, targetUrl } from './simulator.options';

/** Parses like the command does, keeping what it would print. */
function parse(...argv: string[]): { outcome: ParseOutcome; out: string; err: string } {
  let out = '';
  let err = '';
  const outcome = parseSimulatorOptions(argv, {
    writeOut: (text) => (out += text),
    writeErr: (text) => (err += text),
  });
  return { outcome, out, err };
}

describe(parseSimulatorOptions.name, () => {
  it("gives the reference simulator's defaults, no seed and no drift", () => {
    const { outcome, err } = parse();
    expect(err).toBe('');
    expect(outcome).toEqual({
      options: {
        url: 'http://localhost:8000',
        requests: 100,
        users: 10,
        delaySeconds: 0,
        timeoutSeconds: 30,
        endpoint: '/predict',
        verbose: false,
        profile: 'uniform',
        dataFile: 'data/survey_lung_cancer.csv',
        json: false,
      },
    });
  });

  it('reads every option, short and long, and the drift defaults with --enable-age-drift', () => {
    const { outcome } = parse(
      ...['--url', 'https://lungcheck.example/api', '-r', '7', '-u', '3', '-d', '0.5', '-t', '2.5'],
      ...['-e', '/predict_proba', '-v', '--model', 'random_forest', '--seed', '0', '--profile', 'training'],
      ...['--data', 'elsewhere.csv', '--json', '--enable-age-drift'],
    );
    expect(outcome).toEqual({
      options: {
        url: 'https://lungcheck.example/api',
        requests: 7,
        users: 3,
        delaySeconds: 0.5,
        timeoutSeconds: 2.5,
        endpoint: '/predict_proba',
        verbose: true,
        model: 'random_forest',
        seed: 0,
        profile: 'training',
        dataFile: 'elsewhere.csv',
        json: true,
        drift: { mode: 'ramp', target: 70, startPercent: 0, endPercent: 100 },
      },
    });
  });

  it('reads the drift options', () => {
    const { outcome } = parse(
      ...['--enable-age-drift', '--drift-mode', 'step', '--age-drift-target', '90'],
      ...['--age-drift-start', '12.5', '--age-drift-end', '60'],
    );
    expect(outcome).toMatchObject({
      options: { drift: { mode: 'step', target: 90, startPercent: 12.5, endPercent: 60 } },
    });
  });

  it.each([
    [['--requests', '0'], "option '-r, --requests <n>' argument '0' is invalid. expected a positive integer"],
    [['-r', '2.5'], 'expected a positive integer'],
    [['-r', ''], 'expected a positive integer'],
    [['--users', '-3'], "option '-u, --users <n>' argument '-3' is invalid"],
    [['-u', 'ten'], 'expected a positive integer'],
    [['--delay', '-1'], "option '-d, --delay <seconds>' argument '-1' is invalid"],
    [['--timeout', '0'], "option '-t, --timeout <seconds>' argument '0' is invalid"],
    [['-t', 'Infinity'], 'expected a number of seconds above 0, at most 86400'],
    [['--endpoint', '/features'], 'Allowed choices are /predict, /predict_proba'],
    [['--url', 'localhost:8000'], "option '--url <url>' argument 'localhost:8000' is invalid"],
    [['--url', 'not a url'], 'expected an http:// or https:// URL'],
    [['--model', ' '], 'expected a model name'],
    [['--enable-age-drift', '--age-drift-target', '19'], 'expected an integer age from 20 to 90'],
    [['--enable-age-drift', '--age-drift-target', '91'], 'expected an integer age from 20 to 90'],
    [['--enable-age-drift', '--age-drift-start', '-5'], 'expected a percentage from 0 to 100'],
    [['--enable-age-drift', '--age-drift-end', '101'], 'expected a percentage from 0 to 100'],
    [
      ['--enable-age-drift', '--age-drift-start', '60', '--age-drift-end', '60'],
      '--age-drift-start (60) must be below --age-drift-end (60)',
    ],
    [['--enable-age-drift', '--drift-mode', 'sine'], 'Allowed choices are ramp, step'],
    [['--age-drift-target', '75'], '--age-drift-target needs --enable-age-drift'],
    [['--drift-mode', 'step'], '--drift-mode needs --enable-age-drift'],
    [['--age-drift-end', '50'], '--age-drift-end needs --enable-age-drift'],
    [['--seed', '-1'], 'expected an integer from 0 to 4294967295'],
    [['--seed', '4294967296'], 'expected an integer from 0 to 4294967295'],
    [['--profile', 'production'], 'Allowed choices are uniform, training'],
    [['--requests'], "option '-r, --requests <n>' argument missing"],
    [['--reqests', '5'], "unknown option '--reqests' (Did you mean --requests?)"],
    [['http://localhost:8000'], 'too many arguments'],
  ])('refuses %j with one line on stderr and exit code 2', (argv, message) => {
    const { outcome, out, err } = parse(...argv);
    expect(outcome).toEqual({ exitCode: EXIT_USAGE });
    expect(err).toContain(message);
    expect(err).toMatch(/^simulate: [^\n]+\n$/);
    expect(out).toBe('');
  });

  it('prints help listing every option on stdout, with exit code 0', () => {
    const { outcome, out, err } = parse('--help');
    expect(outcome).toEqual({ exitCode: 0 });
    expect(err).toBe('');
    for (const flag of [
      '--url',
      '-r, --requests',
      '-u, --users',
      '-d, --delay',
      '-t, --timeout',
      '-e, --endpoint',
      '-v, --verbose',
      '--model ',
      '--enable-age-drift',
      '--age-drift-target',
      '--age-drift-start',
      '--age-drift-end',
      '--drift-mode',
      '--seed',
      '--profile',
      '--data',
      '--json',
    ]) {
      expect(out).toContain(flag);
    }
    expect(out).toContain('Exit codes');
  });
});

describe(targetUrl.name, () => {
  it('appends the endpoint to the base path and the model to the query', () => {
    expect(targetUrl({ url: 'http://localhost:8000', endpoint: '/predict' })).toBe(
      'http://localhost:8000/predict',
    );
    expect(targetUrl({ url: 'http://h:1/api/', endpoint: '/predict_proba', model: 'random forest' })).toBe(
      'http://h:1/api/predict_proba?model=random+forest',
    );
    expect(targetUrl({ url: 'http://h:1/?trace=1', endpoint: '/predict', model: 'rf' })).toBe(
      'http://h:1/predict?trace=1&model=rf',
    );
  });
});
