import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { RunOutcome, RunTrigger, ShippingRunReport } from './log-shipping.service';

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
