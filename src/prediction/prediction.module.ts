import { Module } from '@nestjs/common';
import { ModelPoolModule } from '../model-pool/model-pool.module';
import { PredictionController } from './prediction.controller';
import { PredictionService } from './prediction.service';

@Module({
  imports: [ModelPoolModule],
  controllers: [PredictionController],
  providers: [PredictionService],
  exports: [PredictionService, ModelPoolModule],
})
export class PredictionModule {}
