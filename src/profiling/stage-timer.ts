import { relative } from 'node:path';
import { currentRequest, type RequestContext, type StageStat } from '../common/request-context';

/** Where a stage is timed in the code, for the `file` and `line` of `top_functions`. */
export interface StageSite {
  file: string;
  line: number;
}

const sites = new Map<string, StageSite>();

/** Where the stage was first timed: read once per stage name from a stack trace, so the cost is paid once. */
export function stageSite(name: string): StageSite | undefined {
  return sites.get(name);
}

function recordSite(name: string): void {
  // Frames: Error, recordSite, stageOf, timeStage or recordStage, the caller.
  const frame = new Error().stack?.split('\n')[4] ?? '';
  const match = /\(?([^()\s]+):(\d+):\d+\)?$/.exec(frame.trim());
  sites.set(
    name,
    match ? { file: relative(process.cwd(), match[1]), line: Number(match[2]) } : { file: '', line: 0 },
  );
}

/**
 * Times one named stage of the current request (parse/validate, feature engineering, pool acquire, model run…) with
 * the monotonic clock and adds it to the request's stage table. A stage started while another is open counts as
 * nested in it, which gives the profile both its own and its cumulative time. Outside a request it just runs `fn`.
 * Cost: two `process.hrtime.bigint()` calls and a Map update (well under a microsecond).
 */
export function timeStage<T>(name: string, fn: () => T): T {
  const ctx = currentRequest();
  if (!ctx) {
    return fn();
  }
  const own = stageOf(ctx, name);
  const parent = ctx.openStage;
  ctx.openStage = own;
  const start = process.hrtime.bigint();
  const record = (): void => {
    const elapsed = process.hrtime.bigint() - start;
    own.calls += 1;
    own.totalNs += elapsed;
    if (parent && parent !== own) {
      parent.nestedNs += elapsed;
    }
    if (ctx.openStage === own) {
      ctx.openStage = parent;
    }
  };
  let result: T;
  try {
    result = fn();
  } catch (error) {
    record();
    throw error;
  }
  if (result instanceof Promise) {
    return result.finally(record) as T;
  }
  record();
  return result;
}

/** The request's figures for stage `name`, made on its first use (and its call site noted for the profile). */
function stageOf(ctx: RequestContext, name: string): StageStat {
  if (!sites.has(name)) {
    recordSite(name);
  }
  let stat = ctx.stages.get(name);
  if (!stat) {
    stat = { calls: 0, totalNs: 0n, nestedNs: 0n };
    ctx.stages.set(name, stat);
  }
  return stat;
}

/**
 * Adds a stage measured elsewhere to the current request (a model run shared by a micro-batch: each request of the
 * batch counts the run once, as its own), nested in the stage open now if any. Outside a request it does nothing.
 */
export function recordStage(name: string, elapsedNs: bigint): void {
  const ctx = currentRequest();
  if (!ctx) {
    return;
  }
  const stat = stageOf(ctx, name);
  stat.calls += 1;
  stat.totalNs += elapsedNs;
  if (ctx.openStage && ctx.openStage !== stat) {
    ctx.openStage.nestedNs += elapsedNs;
  }
}
