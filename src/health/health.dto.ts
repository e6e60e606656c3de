import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ShippingStatusDto } from '../log-shipping/log-shipping.dto';
import type { HealthReport } from './health.service';

export class RequestLogHealthDto implements NonNullable<HealthReport['request_log']> {
  @ApiProperty({ enum: ['redis', 'memory'], example: 'redis', description: 'Where entries are stored' })
  store!: 'redis' | 'memory';

  @ApiProperty({ example: 0, description: 'Entries waiting in this process to be written to the store' })
  buffered!: number;

  @ApiProperty({ example: 0, description: 'Entries dropped here because the in-process buffer was full' })
  dropped_in_memory!: number;

  @ApiProperty({
    example: 0,
    description: 'Entries this process dropped since start, whichever bound dropped them',
  })
  dropped_total!: number;

  @ApiProperty({
    example: null,
    nullable: true,
    type: String,
    description: 'When this process last dropped an entry',
  })
  last_drop_at!: string | null;

  @ApiProperty({ example: 0, description: 'Store writes that failed (each retried) since start' })
  write_failures!: number;
}

export class HealthReportDto implements HealthReport {
  @ApiProperty({
    enum: ['healthy', 'degraded', 'unhealthy'],
    example: 'healthy',
    description:
      'unhealthy: no model loaded; degraded: Redis configured but not taking writes, log entries dropped within ' +
      'HEALTH_WINDOW_SECONDS, HEALTH_SHIPPING_FAILURES failed shipping runs in a row, or an unshipped entry older ' +
      'than ALERT_SHIPPING_LAG_SECONDS_CRITICAL',
  })
  status!: 'healthy' | 'degraded' | 'unhealthy';

  @ApiProperty({
    type: [String],
    example: [],
    description: 'Why the status is not healthy, in words; empty when healthy',
  })
  reasons!: string[];

  @ApiProperty({ example: true })
  model_loaded!: boolean;

  @ApiProperty({ example: true, description: 'false when Redis is not configured (embedded log store)' })
  redis_connected!: boolean;

  @ApiProperty({ example: '1.0.0' })
  version!: string;

  @ApiProperty({ type: RequestLogHealthDto })
  request_log!: RequestLogHealthDto;

  @ApiPropertyOptional({ type: ShippingStatusDto })
  shipping?: ShippingStatusDto;
}
