import { Module } from '@nestjs/common';
import { LogStoreModule } from '../log-store/log-store.module';
import { ModelPoolModule } from '../model-pool/model-pool.module';
import { ShadowController } from './shadow.controller';
import { ShadowService } from './shadow.service';

/** SHADOW_MODEL: a second model answering real traffic off the response path, and GET /models/compare. */
@Module({
  imports: [ModelPoolModule, LogStoreModule],
  controllers: [ShadowController],
  providers: [ShadowService],
  exports: [ShadowService],
})
export class ShadowModule {}
