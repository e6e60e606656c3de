import { Module } from '@nestjs/common';
import { ModelPoolModule } from '../model-pool/model-pool.module';
import { ShadowModule } from '../shadow/shadow.module';
import { PredictionController } from './prediction.controller';
import { PredictionService } from './prediction.service';

@Module({
  imports: [ModelPoolModule, ShadowModule],
  controllers: [PredictionController],
  providers: [PredictionService],
  exports: [PredictionService, ModelPoolModule],
})
export class PredictionModule {}
