import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { RunOutcome, RunTrigger, ShippingRunReport } from './log-shipping.run';
import type { ShippingStatus } from './log-shipping.service';

export class ShippingRunReportDto implements ShippingRunReport {
  @ApiProperty({ enum: ['schedule', 'manual'], example: 'manual' })
  trigger!: RunTrigger;

  @ApiProperty({ format: 'date-time' })
  started_at!: string;

  @ApiProperty({ format: 'date-time' })
  finished_at!: string;

  @ApiProperty({ example: 42 })
  duration_ms!: number;

  @ApiProperty({
    enum: ['shipped', 'idle', 'partial', 'failed'],
    example: 'shipped',
    description:
      'shipped: every entry read is stored; idle: nothing was pending; partial: some entries wait for a retry; ' +
      'failed: nothing could be shipped (destination or queue unreachable)',
  })
  outcome!: RunOutcome;

  @ApiProperty({ enum: ['elasticsearch', 'ndjson'], example: 'elasticsearch' })
  sink!: 'elasticsearch' | 'ndjson';

  @ApiProperty({
    example: 'http://elasticsearch:9200',
    description: 'Cluster URL (no credentials) or archive directory',
  })
  target!: string;

  @ApiProperty({ example: 1 })
  batches!: number;

  @ApiProperty({ example: 120 })
  entries_read!: number;

  @ApiProperty({ example: 120, description: 'Acknowledged: all their documents stored or dead-lettered' })
  entries_shipped!: number;

  @ApiProperty({ example: 0, description: 'Left in the queue for a later run' })
  entries_retrying!: number;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { 'ml-api-logs': 120, 'ml-api-message': 118, 'ml-api-perfs': 118, 'ml-api-top-func': 590 },
  })
  documents!: Record<string, number>;

  @ApiProperty({ example: 0 })
  dead_lettered!: number;

  @ApiPropertyOptional({
    example: 'bulk request failed: ConnectionError: connect ECONNREFUSED 127.0.0.1:9200',
  })
  error?: string;
}

export class ShippingStatusDto implements ShippingStatus {
  @ApiProperty({ enum: ['elasticsearch', 'ndjson'], example: 'elasticsearch' })
  sink!: 'elasticsearch' | 'ndjson';

  @ApiProperty({ example: 'http://elasticsearch:9200' })
  target!: string;

  @ApiProperty({ example: 10, description: '0: the schedule is off (on-demand runs only)' })
  interval_seconds!: number;

  @ApiProperty({ example: false })
  running!: boolean;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  last_run_at!: string | null;

  @ApiProperty({ enum: ['shipped', 'idle', 'partial', 'failed'], nullable: true, example: 'shipped' })
  last_outcome!: RunOutcome | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  last_error!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  last_success_at!: string | null;

  @ApiProperty({ example: 0, description: 'Failed runs in a row (scheduled runs back off meanwhile)' })
  consecutive_failures!: number;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Next scheduled try while backing off',
  })
  next_attempt_at!: string | null;

  @ApiProperty({ example: 42, description: 'Runs since the process started' })
  runs!: number;

  @ApiProperty({ example: 12000, description: 'Entries shipped since the process started' })
  entries_shipped!: number;

  @ApiProperty({ example: 0, description: 'Documents dead-lettered since the process started' })
  dead_lettered!: number;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 35,
    description: 'Entries in the queue; null if it cannot be read',
  })
  pending!: number | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 0,
    description: 'Unshipped entries dropped at LOG_BUFFER_MAX',
  })
  dropped!: number | null;

  @ApiProperty({ type: Number, nullable: true, example: 4, description: 'Age of the oldest queued entry' })
  oldest_unshipped_age_seconds!: number | null;
}
