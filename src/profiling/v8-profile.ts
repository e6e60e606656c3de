import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TopFunction } from '../log-store/log-entry';
import { TOP_FUNCTIONS } from './request-profile';

/** The parts of a V8 CPU profile (DevTools protocol `Profiler.Profile`) this module reads. */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    hitCount?: number;
    children?: number[];
  }[];
  /** Micro-seconds. */
  startTime: number;
  endTime: number;
  samples?: number[];
  /** Micro-seconds between consecutive samples (the first: since startTime). */
  timeDeltas?: number[];
}

interface FunctionStat {
  function: string;
  file: string;
  line: number;
  calls: number;
  selfUs: number;
  cumulativeUs: number;
}

/** Script urls (file:///…, /abs/path) as paths. */
const pathOf = (url: string): string => (url.startsWith('file://') ? fileURLToPath(url) : url);

/** Script urls as paths relative to the working directory. */
function fileOf(url: string): string {
  const path = pathOf(url);
  return path.startsWith('/') ? relative(process.cwd(), path) : path;
}

/** Frames that are JavaScript functions: not the (root)/(program)/(idle)/(garbage collector) markers, not Node's own. */
const isJsFunction = (url: string): boolean => url !== '' && !url.startsWith('node:');

/**
 * The top JS functions of a sampled profile by cumulative time, in the shape of the stage list: `calls` are the
 * samples taken in the function, `total_time_ms` its self time and `cumulative_time_ms` the time it was on the
 * stack (counted once per sample even when it recurses). Sample durations come from the profile's time deltas.
 * Also returns `functionCalls`: the number of samples in the profile. Functions of `ignoredFiles` (absolute paths:
 * the profiler's own code, on the stack when the profile starts and stops) are left out.
 */
export function topFunctionsOfProfile(
  profile: CpuProfile,
  count = TOP_FUNCTIONS,
  ignoredFiles: readonly string[] = [],
): { functionCalls: number; topFunctions: TopFunction[] } {
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const parentOf = new Map<number, number>();
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) {
      parentOf.set(child, node.id);
    }
  }
  const stats = new Map<string, FunctionStat>();
  const statOf = (nodeId: number): FunctionStat | undefined => {
    const frame = byId.get(nodeId)?.callFrame;
    if (!frame || !isJsFunction(frame.url) || ignoredFiles.includes(pathOf(frame.url))) {
      return undefined;
    }
    const key = `${frame.url}:${frame.lineNumber}:${frame.functionName}`;
    let stat = stats.get(key);
    if (!stat) {
      stat = {
        function: frame.functionName || '(anonymous)',
        file: fileOf(frame.url),
        line: frame.lineNumber + 1,
        calls: 0,
        selfUs: 0,
        cumulativeUs: 0,
      };
      stats.set(key, stat);
    }
    return stat;
  };

  let time = profile.startTime;
  const timestamps = samples.map((_, i) => (time += deltas[i] ?? 0));
  samples.forEach((leaf, i) => {
    const duration = Math.max(0, (timestamps[i + 1] ?? profile.endTime) - timestamps[i]);
    const own = statOf(leaf);
    if (own) {
      own.calls += 1;
      own.selfUs += duration;
    }
    const onStack = new Set<FunctionStat>();
    for (let id: number | undefined = leaf; id !== undefined; id = parentOf.get(id)) {
      const stat = statOf(id);
      if (stat && !onStack.has(stat)) {
        onStack.add(stat);
        stat.cumulativeUs += duration;
      }
    }
  });

  const topFunctions = [...stats.values()]
    .filter((stat) => stat.cumulativeUs > 0)
    .sort((a, b) => b.cumulativeUs - a.cumulativeUs || b.selfUs - a.selfUs)
    .slice(0, count)
    .map((stat) => ({
      function: stat.function,
      file: stat.file,
      line: stat.line,
      calls: stat.calls,
      total_time_ms: stat.selfUs / 1000,
      cumulative_time_ms: stat.cumulativeUs / 1000,
    }));
  return { functionCalls: samples.length, topFunctions };
}
