import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { errorText } from '../common/error-text';
import { isPlainObject } from '../common/is-plain-object';
import { RequestContext, requestContextOf } from '../common/request-context';
import { AppConfig } from '../config/app-config';
import { RedisConnection } from '../redis/redis.module';
import { finishProfile, ProfileStart, startProfile } from '../profiling/request-profile';
import { V8Sample, V8Sampler } from '../profiling/v8-sampler';
import { storedEntry } from '../log-store/log-entry';
import { buildLogEntry } from './log-entry.factory';
import { LogStore } from '../log-store/log-store';
import { LogWriteBuffer, LogWriteBufferFigures } from './log-write-buffer';

/** Operational endpoints, the logs API itself, monitoring, Swagger and static files: not API calls to record. */
const UNLOGGED_PATHS = /^\/(health|metrics|logs|drift|monitoring|docs|docs-json|docs-yaml|static)(\/|$)/;
/** Static assets (the form's CSS, scripts, icons), found or not. */
const STATIC_ASSET = /\.(css|js|map|ico|png|jpe?g|gif|svg|webp|woff2?|ttf|txt|webmanifest)$/i;

/** How long shutdown waits for the buffered entries to reach the store. */
const SHUTDOWN_FLUSH_MS = 3000;

/** What the recorder keeps about a request it watches until the response ends. */
interface Watched {
  ctx: RequestContext;
  /** The routed path, as logged. */
  path: string;
  profile?: ProfileStart;
  sample?: Promise<V8Sample | undefined>;
}

/**
 * The request path as routed: no query string, no `/api` alias prefix. A request target in absolute form
 * (`POST http://host/predict`, as sent to a proxy) is routed by its path, and logged so; the asterisk form
 * (`OPTIONS *`) has no path and is not an API call (undefined).
 */
export function routedPath(originalUrl: string): string | undefined {
  let path = originalUrl.split('?', 1)[0] || '/';
  if (!path.startsWith('/')) {
    if (!URL.canParse(originalUrl)) {
      return undefined;
    }
    path = new URL(originalUrl).pathname;
  }
  if (path === '/api') {
    return '/';
  }
  return path.startsWith('/api/') ? path.slice(4) : path;
}

/** Whether calls to this path are recorded at all. */
export function isLoggedPath(path: string | undefined): path is string {
  return path !== undefined && !UNLOGGED_PATHS.test(path) && !STATIC_ASSET.test(path);
}

/** A page view (a GET answered with HTML, such as the form), not an API call. */
function isPageView(req: Request, res: Response): boolean {
  const type = res.getHeader('content-type');
  return (
    (req.method === 'GET' || req.method === 'HEAD') &&
    typeof type === 'string' &&
    type.startsWith('text/html')
  );
}

/**
 * The one recorder: one log entry per API call, built in one place once its response has ended (so that
 * `latency_ms` runs from the first byte in to the last byte out, and writing adds nothing to the response), with a
 * profile when performance monitoring is on, serialised once and handed to the write buffer. It watches every
 * request from its first middleware; what the call did reaches it as facts left on the request context by those
 * who know them: the handler's result (the interceptor) or the error body (the filter), the model and the stages
 * (the prediction service). Nothing here may break a request: its failures are caught, counted and logged.
 */
@Injectable()
export class RequestLogService implements OnModuleDestroy {
  private readonly logger = new Logger(RequestLogService.name);
  private readonly watched = new WeakMap<Request, Watched>();
  private readonly buffer: LogWriteBuffer;
  private readonly sampler?: V8Sampler;
  private readonly monitoring: boolean;
  /** LOG_INPUTS: whether entries keep the survey answers (the request body, and the values a 422 echoes). */
  private readonly keepInputs: boolean;
  /** LOG_REQUESTS: false makes no entry at all. */
  private readonly enabled: boolean;
  private recordFailures = 0;
  /** Entries waiting for a V8 profile to stop or a shadow run (afterResponse) before they are built. */
  private readonly deferred = new Set<Promise<void>>();

  constructor(
    config: AppConfig,
    private readonly store: LogStore,
    private readonly redis: RedisConnection,
  ) {
    const { performanceMonitoring, profileSampleRate, bufferMax, bufferMaxBytes } = config.logging;
    this.monitoring = performanceMonitoring;
    this.keepInputs = config.logging.keepInputs;
    this.enabled = config.logging.enabled;
    this.sampler =
      performanceMonitoring && profileSampleRate > 0 ? new V8Sampler(profileSampleRate) : undefined;
    this.buffer = new LogWriteBuffer(store, {
      maxEntries: bufferMax,
      maxBytes: bufferMaxBytes,
      flushIntervalMs: config.logging.flushIntervalMs,
      onOutage: (error) =>
        this.logger.warn(
          `Writing request logs failed; they wait in memory and are retried: ${errorText(error)}`,
        ),
      onRecovery: (written, failures) =>
        this.logger.log(`Request logs written again (${written} entries) after ${failures} failed attempts`),
    });
  }

  /**
   * Express middleware, right after the request context: watches every API call, so that its entry is recorded when
   * its response ends, whatever answered it (a handler, a guard, the error filter, the router's 404).
   */
  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    const ctx = requestContextOf(req);
    const path = routedPath(req.originalUrl);
    if (this.enabled && ctx && isLoggedPath(path)) {
      const watched: Watched = { ctx, path, profile: this.monitoring ? startProfile() : undefined };
      this.watched.set(req, watched);
      res.once('finish', () => {
        try {
          this.finish(req, res, watched);
        } catch (error) {
          this.recordFailed(error);
        }
      });
    }
    next();
  };

  /**
   * With V8 sampling (PROFILE_SAMPLE_RATE), perhaps starts a CPU profile of this request; the returned promise
   * resolves once it runs, so that the handler runs inside it. Undefined when the request is not sampled.
   */
  sample(req: Request): Promise<void> | undefined {
    const watched = this.watched.get(req);
    if (!watched || !this.sampler) {
      return undefined;
    }
    watched.sample = this.sampler.start().catch((error: unknown) => {
      this.recordFailed(error);
      return undefined;
    });
    return watched.sample.then(() => undefined);
  }

  /** The in-process side of the log pipeline, for /health and /logs/stats. */
  pipeline(): LogWriteBufferFigures & {
    store: 'redis' | 'memory';
    redisConnected: boolean;
    recordFailures: number;
    /** Entries this process dropped, whichever bound dropped them (its buffer, the store through it), and when last. */
    droppedTotal: number;
    lastDropAt: number | null;
  } {
    const buffer = this.buffer.stats();
    const store = this.store.droppedHere();
    return {
      store: this.redis.configured ? 'redis' : 'memory',
      redisConnected: this.redis.isConnected(),
      recordFailures: this.recordFailures,
      ...buffer,
      droppedTotal: buffer.dropped + store.count,
      lastDropAt: latest(buffer.lastDropAt, store.lastAt),
    };
  }

  /**
   * Resolves once every entry recorded so far, including those waiting for a profile or a shadow run, has been
   * written (when the store answers). For tests and benches.
   */
  async drain(): Promise<void> {
    await Promise.all(this.deferred);
    return this.buffer.drain();
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.deferred);
    this.sampler?.close();
    const unwritten = await this.buffer.close(SHUTDOWN_FLUSH_MS);
    if (unwritten > 0) {
      this.logger.warn(`${unwritten} request log entries could not be written before shutdown and are lost`);
    }
  }

  /** Synchronous up to the entry, so that the resource figures are read when the response ends. */
  private finish(req: Request, res: Response, watched: Watched): void {
    const endNs = process.hrtime.bigint();
    const at = new Date();
    const { ctx } = watched;
    const latencyNs = endNs - ctx.startNs;
    const metrics =
      watched.profile && ctx.stages.has('model_run')
        ? finishProfile(watched.profile, { latencyNs, stages: ctx.stages, batchSize: ctx.batchSize ?? 1 })
        : null;
    const record = (): void => {
      if (isPageView(req, res)) {
        return;
      }
      // A batch request is logged row by row, under its transaction id; its profile goes with the first row.
      const calls = ctx.loggedRows?.map((row, i) => ({
        body: row.input,
        result: row.result,
        metrics: i === 0 ? metrics : null,
        shadow: ctx.shadow?.[i],
      })) ?? [{ body: req.body as unknown, result: ctx.loggedResult, metrics, shadow: ctx.shadow?.[0] }];
      for (const call of calls) {
        this.buffer.push(
          storedEntry(
            buildLogEntry({
              transactionId: ctx.transactionId,
              method: req.method,
              path: watched.path,
              statusCode: res.statusCode,
              latencyNs,
              body: this.keepInputs ? call.body : undefined,
              result: this.keepInputs ? call.result : withoutInputs(call.result),
              model: ctx.model ?? null,
              metrics: call.metrics,
              shadow: call.shadow,
              at,
            }),
          ),
        );
      }
    };
    const after = ctx.afterResponse;
    if (!watched.sample && !after) {
      record();
      return;
    }
    const recorded = (watched.sample ?? Promise.resolve(undefined))
      .then((sample) => sample?.stop())
      .then((sampled) => {
        if (metrics && sampled) {
          metrics.function_calls = sampled.functionCalls;
          metrics.top_functions = sampled.topFunctions;
        }
        return after?.();
      })
      .then(record)
      .catch((error: unknown) => this.recordFailed(error))
      .finally(() => this.deferred.delete(recorded));
    this.deferred.add(recorded);
  }

  private recordFailed(error: unknown): void {
    this.recordFailures += 1;
    this.logger.error(`Recording a request log entry failed: ${errorText(error)}`);
  }
}

/** The later of two optional times. */
const latest = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : Math.max(a, b);

/** A result without the answers it echoes: a 422's problems keep their location and type, not the values sent. */
export function withoutInputs(result: unknown): unknown {
  if (!isPlainObject(result) || !Array.isArray(result.detail)) {
    return result;
  }
  return {
    ...result,
    detail: result.detail.map((problem: unknown) => {
      if (!isPlainObject(problem)) {
        return problem;
      }
      const { input: _input, ...kept } = problem;
      return kept;
    }),
  };
}
