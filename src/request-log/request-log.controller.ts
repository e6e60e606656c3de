import { Controller, Delete, Get, Query } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { RequestValidationException, TemporarilyUnavailableException } from '../common/api-errors';
import { ErrorResponseDto, ValidationErrorResponseDto } from '../common/api-errors.dto';
import { KeyScope } from '../common/api-key.guard';
import { LogShippingService } from '../log-shipping/log-shipping.service';
import { RedisConnection } from '../redis/redis.module';
import { LOG_LEVELS, MAX_LIMIT, parseLogQuery } from '../log-store/log-query';
import { computeLogStats } from './log-stats';
import { LogStore } from '../log-store/log-store';
import { DeleteLogsResponseDto, LogsResponseDto, LogStatsDto } from './request-log.dto';
import { RequestLogService } from './request-log.service';

/** Seconds a client should wait before asking again while the log store (Redis) does not answer. */
const RETRY_AFTER_SECONDS = 5;

const StoreUnavailable = () =>
  ApiServiceUnavailableResponse({
    type: ErrorResponseDto,
    description: 'The log store (Redis) does not answer',
  });

@ApiTags('logs')
@KeyScope('logs')
@Controller('logs')
export class RequestLogController {
  constructor(
    private readonly store: LogStore,
    private readonly requestLog: RequestLogService,
    private readonly redis: RedisConnection,
    private readonly shipping: LogShippingService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The newest request log entries, newest first' })
  // Swagger lists parameters in the reverse order of their decorators.
  @ApiQuery({
    name: 'since',
    required: false,
    example: '2025-03-14T09:00:00Z',
    description: 'ISO-8601; UTC if no zone',
  })
  @ApiQuery({
    name: 'path',
    required: false,
    example: '/predict',
    description: 'Exact path, /api prefix ignored',
  })
  @ApiQuery({ name: 'level', required: false, enum: LOG_LEVELS })
  @ApiQuery({ name: 'offset', required: false, schema: { type: 'integer', minimum: 0, default: 0 } })
  @ApiQuery({
    name: 'limit',
    required: false,
    schema: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: 100 },
  })
  @ApiOkResponse({ type: LogsResponseDto })
  @ApiUnprocessableEntityResponse({ type: ValidationErrorResponseDto, description: 'Bad parameters' })
  @StoreUnavailable()
  async list(@Query() params: Record<string, unknown>): Promise<LogsResponseDto> {
    const parsed = parseLogQuery(params);
    if (!parsed.ok) {
      throw new RequestValidationException(parsed.detail);
    }
    return this.fromStore(() => this.store.list(parsed.query));
  }

  @Get('stats')
  @ApiOperation({
    summary: 'Counts, prediction rate and latency percentiles over the /logs view, and the shipping backlog',
  })
  @ApiOkResponse({ type: LogStatsDto })
  @StoreUnavailable()
  async stats(): Promise<LogStatsDto> {
    const [view, queue] = await this.fromStore(() =>
      Promise.all([this.store.list({ limit: Number.MAX_SAFE_INTEGER, offset: 0 }), this.store.queueStats()]),
    );
    const pipeline = this.requestLog.pipeline();
    return {
      ...computeLogStats(view.logs),
      pending_ship: queue.pending + pipeline.buffered,
      dropped: queue.dropped + pipeline.droppedUncounted,
      buffered: pipeline.buffered,
      store: pipeline.store,
      shipping: await this.shipping.status(),
    };
  }

  @Delete()
  @KeyScope('admin')
  @ApiOperation({ summary: 'Empty the /logs view (entries not yet shipped stay in the shipping queue)' })
  @ApiOkResponse({ type: DeleteLogsResponseDto })
  @StoreUnavailable()
  async clear(): Promise<DeleteLogsResponseDto> {
    const deleted = await this.fromStore(() => this.store.clearView());
    return { message: 'Logs supprimés avec succès', deleted };
  }

  /**
   * A store that does not answer is a 503 with Retry-After, not an internal error, and says what it means for the
   * caller: which Redis is unreachable, that predictions go on and how many entries wait in memory.
   */
  private async fromStore<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      const { store, redisConnected, buffered } = this.requestLog.pipeline();
      const message =
        store === 'redis' && !redisConnected
          ? `Redis at ${this.redis.target} does not answer, so the logs cannot be read. Predictions go on: their ` +
            `log entries wait in this process (${buffered} buffered) and are written once Redis is back.`
          : `The log store failed: ${error instanceof Error ? error.message : String(error)}.`;
      throw new TemporarilyUnavailableException(
        `${message} Retry in ${RETRY_AFTER_SECONDS} s.`,
        RETRY_AFTER_SECONDS,
      );
    }
  }
}
