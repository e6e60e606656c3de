import { randomInt } from 'node:crypto';
import { EXIT_USAGE, parseSimulatorOptions, SEED_MAX, targetUrl } from './simulator.options';
import { patientSequence } from './simulator.patients';
import { loadTrainingProfile, ProfileError, type TrainingProfile } from './simulator.profile';
import { progressDisplay } from './simulator.progress';
import { renderJson, renderTable } from './simulator.report';
import { runSimulation } from './simulator.runner';
import { exitCodeOf, summarise } from './simulator.summary';

/** The process's side of a run: where it writes, and the signal that stops it. */
export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Ctrl+C: stops sending, lets the requests in flight end, prints the summary. */
  onInterrupt(listener: () => void): () => void;
}

const processIo: CommandIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  onInterrupt: (listener) => {
    // once: a second Ctrl+C ends the process at once, as usual.
    process.once('SIGINT', listener);
    return () => process.off('SIGINT', listener);
  },
};

/** `npm run simulate -- [options]`: parses, runs, prints the summary; resolves to the exit code. */
export async function simulateCommand(argv: readonly string[], io: CommandIo = processIo): Promise<number> {
  const parsed = parseSimulatorOptions(argv, {
    writeOut: (text) => io.stdout.write(text),
    writeErr: (text) => io.stderr.write(text),
  });
  if ('exitCode' in parsed) {
    return parsed.exitCode;
  }
  const { options } = parsed;
  let training: TrainingProfile | undefined;
  if (options.profile === 'training') {
    try {
      training = loadTrainingProfile(options.dataFile);
    } catch (error) {
      if (error instanceof ProfileError) {
        io.stderr.write(`simulate: ${error.message}\n`);
        return EXIT_USAGE;
      }
      throw error;
    }
  }
  const seed = options.seed ?? randomInt(0, SEED_MAX + 1);
  const url = targetUrl(options);
  const progress = progressDisplay(options, io.stderr);
  const stop = new AbortController();
  const stopListening = io.onInterrupt(() => stop.abort());
  const run = await runSimulation({
    url,
    requests: options.requests,
    users: options.users,
    delayMs: options.delaySeconds * 1000,
    timeoutMs: options.timeoutSeconds * 1000,
    nextPatient: patientSequence({ seed, total: options.requests, training, drift: options.drift }),
    stop: stop.signal,
    onResult: (result, patient) => progress.onResult(result, patient),
  }).finally(() => {
    stopListening();
    progress.stop();
  });
  const summary = summarise(run, {
    url,
    endpoint: options.endpoint,
    model: options.model ?? null,
    users: options.users,
    requests: options.requests,
    seed,
    profile: options.profile,
    drift: options.drift ?? null,
  });
  io.stdout.write(`${options.json ? renderJson(summary) : renderTable(summary)}\n`);
  return exitCodeOf(summary);
}
