import { Injectable } from '@nestjs/common';
import { PACKAGE } from '../common/package-info';
import { within } from '../common/within';
import { AppConfig } from '../config/app-config';
import { LogShippingService, type ShippingStatus } from '../log-shipping/log-shipping.service';
import { ModelRegistry } from '../model-pool/model-registry';
import { RedisConnection } from '../redis/redis.module';
import { RequestLogService } from '../request-log/request-log.service';
import { ShutdownState } from './shutdown-state';

/**
 * How long a health check may take, counted from the request's arrival by the server's own clock: the Redis probe and
 * the shipping status get what is left of it, so that /health answers within it plus a few milliseconds of work
 * whatever Redis does (a frozen Redis keeps its connection open and answers nothing; its commands fail after 5 s).
 */
export const HEALTH_CHECK_TIMEOUT_MS = 800;
/** What the probes get at least, when the request waited long before its handler ran (a loaded event loop). */
const MIN_PROBE_MS = 50;

/**
 * The reference's /health body. `status` follows the model (`unhealthy` without it); with the model up it is
 * `degraded` when anything the service owes its users is at risk, each said in `reasons`: a configured Redis that
 * does not take a write, log entries dropped within HEALTH_WINDOW_SECONDS, HEALTH_SHIPPING_FAILURES failed shipping
 * runs in a row, or an unshipped entry older than the shipping alert's critical threshold. Without Redis configured
 * the in-process store is the intended setup, not a degradation.
 */
export interface HealthReport {
  status: 'healthy' | 'degraded' | 'unhealthy';
  /** Why it is not healthy, in words; empty when healthy. */
  reasons: string[];
  model_loaded: boolean;
  redis_connected: boolean;
  version: string;
  /** Request logs in this process: where they are stored, how many wait to be written, how many were dropped. */
  request_log: {
    store: 'redis' | 'memory';
    buffered: number;
    dropped_in_memory: number;
    /** Entries this process dropped, whichever bound dropped them, and when it last did. */
    dropped_total: number;
    last_drop_at: string | null;
    write_failures: number;
  };
  /** Log shipping (Elasticsearch or the NDJSON archive): last run, totals, backlog; absent if it did not answer. */
  shipping?: ShippingStatus;
}

@Injectable()
export class HealthService {
  constructor(
    private readonly config: AppConfig,
    private readonly registry: ModelRegistry,
    private readonly redis: RedisConnection,
    private readonly shutdown: ShutdownState,
    private readonly shipping: LogShippingService,
    private readonly requestLog: RequestLogService,
  ) {}

  /** `startedNs`: when the request arrived (process.hrtime), from which the time budget counts. */
  async check(startedNs: bigint = process.hrtime.bigint()): Promise<HealthReport> {
    const elapsedMs = Number(process.hrtime.bigint() - startedNs) / 1e6;
    const budget = Math.max(MIN_PROBE_MS, HEALTH_CHECK_TIMEOUT_MS - elapsedMs);
    const modelLoaded = this.registry.isLoaded();
    const [redisConnected, shipping] = await Promise.all([
      this.redis.answers(budget),
      within(this.shipping.status(), budget, undefined),
    ]);
    const pipeline = this.requestLog.pipeline();
    const reasons = this.reasons(redisConnected, shipping, pipeline.lastDropAt);
    return {
      status: !modelLoaded ? 'unhealthy' : reasons.length > 0 ? 'degraded' : 'healthy',
      reasons: modelLoaded ? reasons : ['no model is loaded', ...reasons],
      model_loaded: modelLoaded,
      redis_connected: redisConnected,
      version: PACKAGE.version,
      request_log: {
        store: pipeline.store,
        buffered: pipeline.buffered,
        dropped_in_memory: pipeline.dropped,
        dropped_total: pipeline.droppedTotal,
        last_drop_at: pipeline.lastDropAt === null ? null : new Date(pipeline.lastDropAt).toISOString(),
        write_failures: pipeline.writeFailures,
      },
      ...(shipping ? { shipping } : {}),
    };
  }

  private reasons(
    redisConnected: boolean,
    shipping: ShippingStatus | undefined,
    lastDropAt: number | null,
  ): string[] {
    const { windowSeconds, shippingFailures } = this.config.api.health;
    const lagLimit = this.config.alerts.shipping_lag_seconds.critical;
    const reasons: string[] = [];
    if (this.redis.configured && !redisConnected) {
      reasons.push(`Redis (${this.redis.target}) does not take a write: log entries wait in memory`);
    }
    if (lastDropAt !== null && Date.now() - lastDropAt <= windowSeconds * 1000) {
      reasons.push(`log entries were dropped within the last ${windowSeconds} s (a bound was reached)`);
    }
    if (shipping === undefined) {
      reasons.push('the shipping status could not be read in time');
    } else {
      if (shipping.consecutive_failures >= shippingFailures) {
        reasons.push(
          `log shipping failed ${shipping.consecutive_failures} runs in a row: ${shipping.last_error ?? ''}`.trim(),
        );
      }
      const age = shipping.oldest_unshipped_age_seconds;
      if (age !== null && age >= lagLimit) {
        reasons.push(
          `the oldest unshipped log entry is ${age} s old (ALERT_SHIPPING_LAG_SECONDS_CRITICAL ${lagLimit})`,
        );
      }
    }
    return reasons;
  }

  /** Whether this process should get traffic: its models are loaded and it is not shutting down. */
  ready(): { ready: boolean; models_loaded: boolean; shutting_down: boolean } {
    const modelsLoaded = this.registry.isLoaded();
    const shuttingDown = this.shutdown.shuttingDown;
    return { ready: modelsLoaded && !shuttingDown, models_loaded: modelsLoaded, shutting_down: shuttingDown };
  }
}
