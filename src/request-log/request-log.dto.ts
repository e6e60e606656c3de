import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ShippingStatusDto } from '../log-shipping/log-shipping.dto';
import type { LogEntry, LogLevel, PerformanceMetrics, TopFunction } from '../log-store/log-entry';
import { LOG_LEVELS } from '../log-store/log-query';
import type { LogStats } from './log-stats';

export class TopFunctionDto implements TopFunction {
  @ApiProperty({
    example: 'model_run',
    description: 'A named stage of the request, or a JS function when sampled',
  })
  function!: string;

  @ApiProperty({ example: 'dist/prediction/prediction.service.js' })
  file!: string;

  @ApiProperty({ example: 43 })
  line!: number;

  @ApiProperty({ example: 1, description: 'Calls (stages) or samples (V8 profile)' })
  calls!: number;

  @ApiProperty({ example: 0.412, description: 'Own time, without nested stages or callees' })
  total_time_ms!: number;

  @ApiProperty({ example: 0.412 })
  cumulative_time_ms!: number;
}

export class PerformanceMetricsDto implements PerformanceMetrics {
  @ApiProperty({ example: 0.412, description: "onnxruntime's run alone, from its start to its result" })
  inference_time_ms!: number;

  @ApiProperty({ example: 1.874, description: 'First byte in to response end; ≥ inference_time_ms' })
  latency_ms!: number;

  @ApiProperty({ example: 1.21, description: 'Process CPU time (user + system) during the request' })
  cpu_time_ms!: number;

  @ApiProperty({ example: 142.535, description: 'Resident set size at the end of the request' })
  memory_mb!: number;

  @ApiProperty({ example: 0.004 })
  memory_delta_mb!: number;

  @ApiProperty({ example: 6, description: 'Stage calls, or samples when the request was V8-profiled' })
  function_calls!: number;

  @ApiProperty({ type: [TopFunctionDto], description: 'The 5 costliest stages by cumulative time' })
  top_functions!: TopFunctionDto[];

  @ApiProperty({
    example: 1,
    description: 'Rows in the model run that answered (a micro-batch, a batch request)',
  })
  batch_size!: number;
}

class LogEntryDataDto {
  @ApiProperty({ format: 'uuid' })
  transaction_id!: string;

  @ApiProperty({ example: 'POST' })
  method!: string;

  @ApiProperty({ example: '/predict', description: 'Without the /api prefix or the query string' })
  path!: string;

  @ApiProperty({ example: 200 })
  status_code!: number;

  @ApiProperty({ example: 1.874, description: 'First byte in to response end' })
  latency_ms!: number;

  @ApiProperty({ example: 1.874, description: "The same figure under the reference's name" })
  execution_time_ms!: number;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    example: { AGE: 65, GENDER: 1, 'CHEST PAIN': 1 },
    description: 'The request body, survey fields under their canonical names',
  })
  input_data!: Record<string, unknown> | null;

  @ApiProperty({
    description: 'The response body (the error body for failed calls)',
    example: { prediction: 1, probability: 0.965912, message: 'Prédiction positive' },
  })
  result!: unknown;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'logistic_regression@20594a68a1e3' })
  model!: string | null;

  @ApiPropertyOptional({ type: PerformanceMetricsDto, nullable: true })
  performance_metrics!: PerformanceMetricsDto | null;
}

export class LogEntryDto implements LogEntry {
  @ApiProperty({ example: '01959386-0a2d-7000-8c5e-3f1b2a6d9e10', description: 'UUID v7, time-ordered' })
  id!: string;

  @ApiProperty({ example: '2025-03-14T09:26:53.589Z' })
  timestamp!: string;

  @ApiProperty({ enum: LOG_LEVELS, description: 'INFO below 400, WARNING 4xx, ERROR 5xx' })
  level!: LogLevel;

  @ApiProperty({
    example:
      '[0b6c…] API Call - POST /predict - Status: 200 - Time: 1.87ms - Input: {"AGE": 65, …} - Result: {…}',
  })
  message!: string;

  @ApiProperty({ type: LogEntryDataDto })
  data!: LogEntryDataDto;
}

export class LogsResponseDto {
  @ApiProperty({ example: 1000, description: 'Entries matching the filters, before paging' })
  total!: number;

  @ApiProperty({ type: [LogEntryDto], description: 'Newest first' })
  logs!: LogEntryDto[];
}

export class DeleteLogsResponseDto {
  @ApiProperty({ example: 'Logs supprimés avec succès' })
  message!: string;

  @ApiProperty({ example: 1000, description: 'Entries removed from the view (the shipping queue is kept)' })
  deleted!: number;
}

class PredictionStatsDto {
  @ApiProperty({ example: 812 })
  count!: number;

  @ApiProperty({ example: 430 })
  positive!: number;

  @ApiPropertyOptional({ type: Number, nullable: true, example: 0.53 })
  positive_rate!: number | null;
}

class LatencyStatsDto {
  @ApiPropertyOptional({ type: Number, nullable: true, example: 1.9 })
  p50!: number | null;

  @ApiPropertyOptional({ type: Number, nullable: true, example: 4.2 })
  p95!: number | null;

  @ApiPropertyOptional({ type: Number, nullable: true, example: 9.8 })
  p99!: number | null;
}

export class LogStatsDto implements LogStats {
  @ApiProperty({ example: 1000, description: 'Entries in the /logs view the figures are computed over' })
  total!: number;

  @ApiProperty({ example: { INFO: 950, WARNING: 48, ERROR: 2 } })
  by_level!: Record<LogLevel, number>;

  @ApiProperty({ example: { '/predict': 700, '/predict_proba': 250, '/': 50 } })
  by_path!: Record<string, number>;

  @ApiProperty({ example: { '200': 950, '422': 40, '404': 8, '500': 2 } })
  by_status!: Record<string, number>;

  @ApiProperty({ type: PredictionStatsDto, description: 'Successful predictions and their positive rate' })
  predictions!: PredictionStatsDto;

  @ApiProperty({ type: LatencyStatsDto })
  latency_ms!: LatencyStatsDto;

  @ApiProperty({ example: 1500, description: 'Entries not yet shipped (in the store queue and in memory)' })
  pending_ship!: number;

  @ApiProperty({ example: 0, description: 'Unshipped entries dropped because LOG_BUFFER_MAX was reached' })
  dropped!: number;

  @ApiProperty({ example: 0, description: 'Entries in this process waiting to be written to the store' })
  buffered!: number;

  @ApiProperty({ enum: ['redis', 'memory'] })
  store!: 'redis' | 'memory';

  @ApiPropertyOptional({ type: ShippingStatusDto, description: 'Log shipping: last run, totals, backlog' })
  shipping?: ShippingStatusDto;
}
