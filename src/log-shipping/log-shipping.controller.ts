import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags, ApiUnsupportedMediaTypeResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from '../common/api-errors.dto';
import { KeyScope } from '../common/api-key.guard';
import { ShippingRunReportDto } from './log-shipping.dto';
import type { ShippingRunReport } from './log-shipping.run';
import { LogShippingService } from './log-shipping.service';

@ApiTags('logs')
@Controller('logs')
export class LogShippingController {
  constructor(private readonly shipping: LogShippingService) {}

  @Post('ship')
  @HttpCode(200)
  @KeyScope('admin')
  @ApiOperation({
    summary: 'Ship the queued log entries now',
    description:
      'Runs the shipping job at once, ignoring any backoff, and answers its report. If a run is already in ' +
      'progress, waits for it and answers its report instead of starting a second one.',
  })
  @ApiOkResponse({ type: ShippingRunReportDto })
  @ApiUnsupportedMediaTypeResponse({
    type: ErrorResponseDto,
    description: 'Without API_KEY: the request does not say Content-Type: application/json',
  })
  ship(): Promise<ShippingRunReport> {
    return this.shipping.ship('manual');
  }
}
