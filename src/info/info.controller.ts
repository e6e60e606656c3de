import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ServiceDescriptionDto } from './info.dto';
import { InfoService, ServiceDescription } from './info.service';

@ApiTags('service')
@Controller()
export class InfoController {
  constructor(private readonly info: InfoService) {}

  // GET / itself is the web module's FormController: this JSON for API clients, the form page for browsers.
  @Get('info')
  @ApiOperation({
    summary: 'Service name, version and endpoints, as GET / (the reference UI exposed /api/info)',
  })
  @ApiOkResponse({ type: ServiceDescriptionDto })
  infoAlias(): ServiceDescription {
    return this.info.describe();
  }
}
