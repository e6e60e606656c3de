import { Presets, SingleBar } from 'cli-progress';
import type { SurveyAnswers } from '../features/features';
import type { RequestResult } from './simulator.runner';

/**
 * What the run shows while it goes, on stderr so that stdout keeps only the summary: one line per request with
 * `--verbose`, else a progress bar when stderr is a terminal and the summary is not JSON, else nothing.
 */
export interface ProgressDisplay {
  onResult(result: RequestResult, patient: SurveyAnswers): void;
  stop(): void;
}

export function progressDisplay(
  options: { requests: number; verbose: boolean; json: boolean },
  stderr: NodeJS.WritableStream & { isTTY?: boolean },
): ProgressDisplay {
  if (options.verbose) {
    return {
      onResult: (r, patient) =>
        stderr.write(
          `#${r.index} ${r.outcome} ${r.latencyMs.toFixed(1)} ms AGE ${patient.AGE}${r.error ? ` ${r.error}` : ''}\n`,
        ),
      stop: () => undefined,
    };
  }
  if (!stderr.isTTY || options.json) {
    return { onResult: () => undefined, stop: () => undefined };
  }
  const bar = new SingleBar(
    {
      stream: stderr,
      format: 'simulate [{bar}] {percentage}% | {value}/{total} | {failed} failed | ETA {eta}s',
    },
    Presets.shades_classic,
  );
  let failed = 0;
  bar.start(options.requests, 0, { failed });
  return {
    onResult: (r) => {
      failed += r.ok ? 0 : 1;
      bar.increment(1, { failed });
    },
    stop: () => bar.stop(),
  };
}
