import { Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from '../common/api-errors.dto';
import { ApiKeyGuard } from '../common/api-key.guard';
import { ShippingRunReportDto } from './log-shipping.dto';
import { LogShippingService, type ShippingRunReport } from './log-shipping.service';

@ApiTags('logs')
@Controller('logs')
export class LogShippingController {
  constructor(private readonly shipping: LogShippingService) {}

  @Post('ship')
  @HttpCode(200)
  @UseGuards(ApiKeyGuard)
  @ApiOperation({
    summary: 'Ship the queued log entries now',
    description:
      'Runs the shipping job at once, ignoring any backoff, and answers its report. If a run is already in ' +
      'progress, waits for it and answers its report instead of starting a second one.',
  })
  @ApiHeader({ name: 'X-API-Key', required: false, description: 'Required when the service has API_KEY set' })
  @ApiOkResponse({ type: ShippingRunReportDto })
  @ApiUnauthorizedResponse({
    type: ErrorResponseDto,
    description: 'API_KEY is set and X-API-Key is missing or wrong',
  })
  ship(): Promise<ShippingRunReport> {
    return this.shipping.ship('manual');
  }
}
