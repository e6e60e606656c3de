import type { StageStat } from '../common/request-context';
import type { PerformanceMetrics, TopFunction } from '../log-store/log-entry';
import { ResidentMemory } from './resident-memory';
import { stageSite } from './stage-timer';

/** How many of the costliest steps a profile lists. */
export const TOP_FUNCTIONS = 5;

/** Resource figures taken when a request starts, to measure what it consumed by its end. */
export interface ProfileStart {
  cpu: NodeJS.CpuUsage;
  rssBytes: number;
}

/** What the request measured by its end, beside its resource figures. */
export interface ProfileEnd {
  latencyNs: bigint;
  /** The stage table; its `model_run` stage is the inference time. */
  stages: ReadonlyMap<string, StageStat>;
  /** Rows in the model run that answered it (micro-batch or batch request). */
  batchSize: number;
}

const MB = 1024 * 1024;

const nsToMs = (ns: bigint): number => Number(ns) / 1e6;
/** Micro-second precision: what the clocks behind these figures resolve, without float noise in the logs. */
const roundMs = (ms: number): number => Math.round(ms * 1000) / 1000;
const roundMb = (mb: number): number => Math.round(mb * 1000) / 1000;

/** Opened on first use and kept for the life of the process. */
let residentMemory: ResidentMemory | undefined;
const rssBytes = (): number => (residentMemory ??= new ResidentMemory()).bytes();

/** The process-wide figures of the current event-loop turn, read by its first request (start or end). */
let turnReading: ProfileStart | undefined;

/**
 * Process CPU time (getrusage) and resident memory (/proc), read once per event-loop turn and shared by every
 * request that starts or ends in it: they are process-wide figures anyway, and on a loaded service reading them
 * per request was 7 % of the CPU profile (docs/performance.md).
 */
function processReading(): ProfileStart {
  if (!turnReading) {
    turnReading = { cpu: process.cpuUsage(), rssBytes: rssBytes() };
    setImmediate(() => {
      turnReading = undefined;
    });
  }
  return turnReading;
}

export function startProfile(): ProfileStart {
  return processReading();
}

/**
 * The request's performance metrics: process CPU time and resident memory since `start` (process-wide figures, so
 * concurrent requests share them), the times the request measured, and its costliest stages (which a V8 profile of
 * the request, when it was sampled, replaces).
 */
export function finishProfile(start: ProfileStart, end: ProfileEnd): PerformanceMetrics {
  const { cpu: cpuNow, rssBytes: rss } = processReading();
  const cpu = { user: cpuNow.user - start.cpu.user, system: cpuNow.system - start.cpu.system };
  let functionCalls = 0;
  for (const stat of end.stages.values()) {
    functionCalls += stat.calls;
  }
  return {
    inference_time_ms: roundMs(nsToMs(end.stages.get('model_run')?.totalNs ?? 0n)),
    latency_ms: roundMs(nsToMs(end.latencyNs)),
    cpu_time_ms: roundMs((cpu.user + cpu.system) / 1000),
    memory_mb: roundMb(rss / MB),
    memory_delta_mb: roundMb((rss - start.rssBytes) / MB),
    function_calls: functionCalls,
    top_functions: topStages(end.stages),
    batch_size: end.batchSize,
  };
}

/** The costliest stages by cumulative time, as the `top_functions` rows. */
export function topStages(stages: ReadonlyMap<string, StageStat>, count = TOP_FUNCTIONS): TopFunction[] {
  return [...stages.entries()]
    .sort(([, a], [, b]) => (a.totalNs === b.totalNs ? 0 : a.totalNs > b.totalNs ? -1 : 1))
    .slice(0, count)
    .map(([name, stat]) => {
      const site = stageSite(name);
      return {
        function: name,
        file: site?.file ?? '',
        line: site?.line ?? 0,
        calls: stat.calls,
        total_time_ms: preciseMs(stat.totalNs - stat.nestedNs),
        cumulative_time_ms: preciseMs(stat.totalNs),
      };
    });
}

/** Stages can take well under a micro-second; keep nanoseconds so none reads as zero. */
const preciseMs = (ns: bigint): number => Number(ns) / 1e6;
