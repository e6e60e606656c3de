import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';

/**
 * The simulator's command line: the reference simulator's options (same names, defaults and bounds) plus `--seed`,
 * `--drift-mode`, `--profile`, `--data`, `--json`. Parsing and checking only; nothing here sends a request.
 */

export const ENDPOINTS = ['/predict', '/predict_proba'] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

export const DRIFT_MODES = ['ramp', 'step'] as const;
export type DriftMode = (typeof DRIFT_MODES)[number];

export const PROFILES = ['uniform', 'training'] as const;
export type Profile = (typeof PROFILES)[number];

/** The ages the simulator draws from, and the bounds of `--age-drift-target` (the reference's). */
export const AGE_MIN = 20;
export const AGE_MAX = 90;

/** Largest `--seed`: the PRNG keeps 32 bits, so larger seeds would repeat smaller ones. */
export const SEED_MAX = 2 ** 32 - 1;

/** Exit code of a command line the simulator cannot run: an invalid option, an unreadable card. */
export const EXIT_USAGE = 2;

export interface AgeDrift {
  mode: DriftMode;
  /** The age drifted patients move to (ramp) or are drawn around (step). */
  target: number;
  /** The drift window, in percent of the run: patients whose position is in [start, end) are drifted. */
  startPercent: number;
  endPercent: number;
}

export interface SimulatorOptions {
  /** The service's base URL; may carry a path prefix such as `/api`. */
  url: string;
  requests: number;
  users: number;
  /** Pause of each user between two of its requests. */
  delaySeconds: number;
  timeoutSeconds: number;
  endpoint: Endpoint;
  verbose: boolean;
  /** Sent as `?model=<name>`; the service's default model when absent. */
  model?: string;
  /** Absent: a random seed, which the summary reports so that the run can be repeated. */
  seed?: number;
  profile: Profile;
  /** The survey CSV `--profile training` draws whole patients from. */
  dataFile: string;
  json: boolean;
  /** Present with `--enable-age-drift` only. */
  drift?: AgeDrift;
}

/** What parsing the command line came to: options to run with, or an exit code (help shown, or an error told). */
export type ParseOutcome = { options: SimulatorOptions } | { exitCode: number };

/** Where help and error messages go; the process's streams unless a test captures them. */
export interface ParseOutput {
  writeOut(text: string): void;
  writeErr(text: string): void;
}

const numberFrom = (value: string): number => (value.trim() === '' ? NaN : Number(value));

function integerIn(min: number, max: number, what: string): (value: string) => number {
  return (value) => {
    const n = numberFrom(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected ${what}`);
    }
    return n;
  };
}

function numberIn(min: number, max: number, what: string, minExcluded = false): (value: string) => number {
  return (value) => {
    const n = numberFrom(value);
    if (!Number.isFinite(n) || n < min || (minExcluded && n === min) || n > max) {
      throw new InvalidArgumentError(`expected ${what}`);
    }
    return n;
  };
}

const positiveInteger = integerIn(1, Number.MAX_SAFE_INTEGER, 'a positive integer');
const percent = numberIn(0, 100, 'a percentage from 0 to 100');

function httpUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('expected an http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError('expected an http:// or https:// URL');
  }
  return value;
}

function modelName(value: string): string {
  if (value.trim() === '') {
    throw new InvalidArgumentError('expected a model name');
  }
  return value;
}

/** Options that only mean something with `--enable-age-drift`; giving one without it is a mistake worth telling. */
const DRIFT_FLAGS = {
  ageDriftTarget: '--age-drift-target',
  ageDriftStart: '--age-drift-start',
  ageDriftEnd: '--age-drift-end',
  driftMode: '--drift-mode',
} as const;

interface RawOptions {
  url: string;
  requests: number;
  users: number;
  delay: number;
  timeout: number;
  endpoint: Endpoint;
  verbose?: true;
  model?: string;
  enableAgeDrift?: true;
  ageDriftTarget: number;
  ageDriftStart: number;
  ageDriftEnd: number;
  driftMode: DriftMode;
  seed?: number;
  profile: Profile;
  data: string;
  json?: true;
}

/** The command's definition: its options, defaults, parsers and help. */
export function simulatorCommand(): Command {
  return new Command('simulate')
    .description(
      'Send random patients to the prediction API with concurrent users, optionally drifting their age, and ' +
        'report successes, failures by status and latencies.',
    )
    .option('--url <url>', 'base URL of the service', httpUrl, 'http://localhost:8000')
    .option('-r, --requests <n>', 'requests to send in all', positiveInteger, 100)
    .option('-u, --users <n>', 'concurrent users', positiveInteger, 10)
    .option(
      '-d, --delay <seconds>',
      "pause between each user's requests",
      numberIn(0, Number.MAX_SAFE_INTEGER, 'a number of seconds ≥ 0'),
      0,
    )
    .option(
      '-t, --timeout <seconds>',
      'timeout of each request',
      numberIn(0, 86_400, 'a number of seconds above 0, at most 86400', true),
      30,
    )
    .addOption(new Option('-e, --endpoint <path>', 'endpoint to call').choices(ENDPOINTS).default('/predict'))
    .option('-v, --verbose', 'print one line per request on stderr')
    .option(
      '--model <name>',
      'model to ask for (sent as ?model=<name>); default: the service default',
      modelName,
    )
    .option('--enable-age-drift', 'drift the age of the patients (see --drift-mode)')
    .option(
      '--age-drift-target <age>',
      `age the drift moves to (${AGE_MIN}-${AGE_MAX})`,
      integerIn(AGE_MIN, AGE_MAX, `an integer age from ${AGE_MIN} to ${AGE_MAX}`),
      70,
    )
    .option('--age-drift-start <percent>', 'where in the run the drift window starts (0-100)', percent, 0)
    .option(
      '--age-drift-end <percent>',
      'where in the run the drift window ends (0-100, above the start)',
      percent,
      100,
    )
    .addOption(
      new Option(
        '--drift-mode <mode>',
        'ramp: in the window, each age moves linearly from its normal draw towards the target; ' +
          'step: in the window, each age is drawn within ±5 of the target',
      )
        .choices(DRIFT_MODES)
        .default('ramp'),
    )
    .option(
      '--seed <n>',
      'seed of the patient generator: the same seed sends the same patients (default: random, reported)',
      integerIn(0, SEED_MAX, `an integer from 0 to ${SEED_MAX}`),
    )
    .addOption(
      new Option(
        '--profile <name>',
        'uniform: AGE 20-90 and every other answer 0/1 with equal chances; training: whole patients of the training data (--data)',
      )
        .choices(PROFILES)
        .default('uniform'),
    )
    .option(
      '--data <file>',
      'the survey CSV that --profile training draws patients from',
      'data/survey_lung_cancer.csv',
    )
    .option('--json', 'print the summary as one JSON object on stdout instead of the table')
    .addHelpText(
      'after',
      '\nExit codes: 0 when at least 90 % of the requests succeeded (2xx), 1 otherwise, 2 for an invalid option ' +
        'or an unreadable data file, 130 when interrupted (Ctrl+C; the summary of what was sent is printed).\n' +
        '\nExamples:\n' +
        '  npm run simulate -- -r 500 -u 50\n' +
        '  npm run simulate -- --enable-age-drift --age-drift-target 80 --drift-mode ramp --age-drift-start 50\n' +
        '  npm run simulate -- --profile training --seed 42 --json',
    );
}

/** Commander's error message named after the command, on one line (it puts a typo's suggestion on a second one). */
const oneLine = (text: string): string =>
  `${text
    .trimEnd()
    .replace(/^error: /, 'simulate: ')
    .replace(/\n/g, ' ')}\n`;

/**
 * Parses `argv` (the arguments after the script name) and checks the options together. Every error is told in one
 * line on `output.writeErr`, prefixed `simulate:`, and gives EXIT_USAGE (commander's own usage errors would exit 1);
 * `--help` gives exit code 0.
 */
export function parseSimulatorOptions(argv: readonly string[], output?: ParseOutput): ParseOutcome {
  const command = simulatorCommand().exitOverride();
  command.configureOutput({
    ...(output ? { writeOut: output.writeOut, writeErr: output.writeErr } : {}),
    outputError: (text, write) => write(oneLine(text)),
  });
  try {
    command.parse([...argv], { from: 'user' });
    return { options: checked(command) };
  } catch (error) {
    if (!(error instanceof CommanderError)) {
      throw error;
    }
    const shownHelp = error.code === 'commander.helpDisplayed' || error.code === 'commander.help';
    return { exitCode: shownHelp ? 0 : EXIT_USAGE };
  }
}

/** The checks that involve several options; each failure goes through `command.error`, so it is told like the rest. */
function checked(command: Command): SimulatorOptions {
  const raw = command.opts<RawOptions>();
  const fail = (message: string): never =>
    command.error(`error: ${message}`, { exitCode: EXIT_USAGE, code: 'simulate.invalidOptions' });
  if (!raw.enableAgeDrift) {
    const given = (Object.keys(DRIFT_FLAGS) as (keyof typeof DRIFT_FLAGS)[]).find(
      (key) => command.getOptionValueSource(key) === 'cli',
    );
    if (given) {
      fail(`${DRIFT_FLAGS[given]} needs --enable-age-drift`);
    }
  }
  if (raw.ageDriftStart >= raw.ageDriftEnd) {
    fail(
      `--age-drift-start (${raw.ageDriftStart}) must be below --age-drift-end (${raw.ageDriftEnd}): ` +
        'they bound the part of the run that drifts',
    );
  }
  return {
    url: raw.url,
    requests: raw.requests,
    users: raw.users,
    delaySeconds: raw.delay,
    timeoutSeconds: raw.timeout,
    endpoint: raw.endpoint,
    verbose: raw.verbose === true,
    ...(raw.model !== undefined ? { model: raw.model } : {}),
    ...(raw.seed !== undefined ? { seed: raw.seed } : {}),
    profile: raw.profile,
    dataFile: raw.data,
    json: raw.json === true,
    ...(raw.enableAgeDrift
      ? {
          drift: {
            mode: raw.driftMode,
            target: raw.ageDriftTarget,
            startPercent: raw.ageDriftStart,
            endPercent: raw.ageDriftEnd,
          },
        }
      : {}),
  };
}

/**
 * The URL each request is sent to: the endpoint appended to the base URL's path (so `--url http://host/api` calls
 * `/api/predict`), and `?model=<name>` added to whatever query the base URL has.
 */
export function targetUrl(options: Pick<SimulatorOptions, 'url' | 'endpoint' | 'model'>): string {
  const url = new URL(options.url);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${options.endpoint}`;
  if (options.model !== undefined) {
    url.searchParams.set('model', options.model);
  }
  return url.toString();
}
