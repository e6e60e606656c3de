import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { InfoController } from './info.controller';
import { InfoService } from './info.service';

@Module({
  imports: [DiscoveryModule],
  controllers: [InfoController],
  providers: [InfoService],
  exports: [InfoService],
})
export class InfoModule {}
