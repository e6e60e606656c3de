import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ServiceDescriptionDto } from './info.dto';
import { InfoService, ServiceDescription } from './info.service';

@ApiTags('service')
@Controller()
export class InfoController {
  constructor(private readonly info: InfoService) {}

  @Get()
  @ApiOperation({ summary: 'Service name, version and endpoints' })
  @ApiOkResponse({ type: ServiceDescriptionDto })
  root(): ServiceDescription {
    return this.info.describe();
  }

  @Get('info')
  @ApiOperation({ summary: 'Same as GET / (the reference UI exposed it as /api/info)' })
  @ApiOkResponse({ type: ServiceDescriptionDto })
  infoAlias(): ServiceDescription {
    return this.info.describe();
  }
}
