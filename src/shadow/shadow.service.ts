import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { currentRequest } from '../common/request-context';
import { errorText } from '../common/error-text';
import { within } from '../common/within';
import { featureMatrix, SurveyAnswers } from '../features/features';
import type { ShadowOutcome } from '../log-store/log-entry';
import { LoadedModel, ModelRegistry } from '../model-pool/model-registry';
import { decide, Prediction } from '../prediction/prediction.decision';

/** Shadow runs in flight at most; a prediction arriving past it is not shadowed (`dropped`), never queued. */
export const SHADOW_MAX_IN_FLIGHT = 32;
/** Longest a shadow run may take before its entry is written without it (`failed`). */
export const SHADOW_TIMEOUT_MS = 2000;

/** Shadow runs so far, for GET /models/compare and /metrics. */
export interface ShadowCounters {
  model: string | null;
  /** Rows the shadow model answered. */
  ran: number;
  /** Rows not shadowed because SHADOW_MAX_IN_FLIGHT runs were in flight. */
  dropped: number;
  /** Rows whose shadow run failed or timed out. */
  failed: number;
  /** Rows the shadow model answered and decided otherwise than the served model. */
  disagreed: number;
}

/**
 * SHADOW_MODEL: every prediction by another model is also run by the shadow model once its response has ended (the
 * request log runs `afterResponse` before it builds the entry), so the client never waits for it; its answer goes
 * into the entry beside the served one. Under load shadow runs are dropped, never queued without bound.
 */
@Injectable()
export class ShadowService implements OnModuleInit {
  private readonly logger = new Logger(ShadowService.name);
  private readonly name?: string;
  private inFlight = 0;
  private readonly counters = { ran: 0, dropped: 0, failed: 0, disagreed: 0 };

  constructor(
    config: AppConfig,
    private readonly registry: ModelRegistry,
  ) {
    this.name = config.model.shadow;
  }

  /** Start-up stops when SHADOW_MODEL names no loaded model. */
  onModuleInit(): void {
    if (this.name === undefined) {
      return;
    }
    if (!this.registry.names().includes(this.name)) {
      throw new Error(
        `SHADOW_MODEL=${this.name} names no loaded model (loaded: ${this.registry.names().join(', ')})`,
      );
    }
    this.logger.log(`Every prediction is also run by ${this.name}, after its response (SHADOW_MODEL)`);
  }

  stats(): ShadowCounters {
    return { model: this.name ?? null, ...this.counters };
  }

  /** Asks for a shadow run of these rows after the response, unless there is no shadow or it served them. */
  follow(served: LoadedModel, rows: readonly SurveyAnswers[], results: readonly Prediction[]): void {
    const ctx = currentRequest();
    if (this.name === undefined || served.name === this.name || !ctx) {
      return;
    }
    ctx.afterResponse = async () => {
      ctx.shadow = await this.run(rows, results);
    };
  }

  private async run(rows: readonly SurveyAnswers[], served: readonly Prediction[]): Promise<ShadowOutcome[]> {
    const name = this.name as string;
    const outcome = (status: ShadowOutcome['status']): ShadowOutcome[] =>
      rows.map(() => ({ model: name, status }));
    if (this.inFlight >= SHADOW_MAX_IN_FLIGHT) {
      this.counters.dropped += rows.length;
      return outcome('dropped');
    }
    this.inFlight++;
    try {
      const failed = outcome('failed');
      const outcomes = await within(this.answer(name, rows, served), SHADOW_TIMEOUT_MS, failed);
      if (outcomes === failed) {
        this.counters.failed += rows.length;
      } else {
        this.counters.ran += rows.length;
        this.counters.disagreed += outcomes.filter((o) => o.agrees === false).length;
      }
      return outcomes;
    } finally {
      this.inFlight--;
    }
  }

  private answer(
    name: string,
    rows: readonly SurveyAnswers[],
    served: readonly Prediction[],
  ): Promise<ShadowOutcome[]> {
    return this.registry
      .use(name, async (model) => {
        const features = featureMatrix(rows);
        // A single prediction joins the shadow model's micro-batch, as its own predictions do.
        const probabilities =
          rows.length === 1
            ? await model.batcher.predict(features).then(({ p0, p1 }) => [p0, p1])
            : (await model.pool.predictProba(features, rows.length)).probabilities;
        return served.map((result, i): ShadowOutcome => {
          const shadow = decide(model, probabilities[2 * i], probabilities[2 * i + 1]);
          return {
            model: model.id,
            status: 'ok',
            prediction: shadow.prediction,
            probability: shadow.probability,
            agrees: shadow.prediction === result.prediction,
          };
        });
      })
      .catch((error: unknown) => {
        this.logger.warn(`The shadow model ${name} failed: ${errorText(error)}`);
        throw error;
      });
  }
}
