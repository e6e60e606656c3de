import { Module } from '@nestjs/common';
import { InfoModule } from '../info/info.module';
import { PredictionModule } from '../prediction/prediction.module';
import { FormController } from './form.controller';

/** The server-rendered form page (views/, public/), on the same services as the JSON API. */
@Module({
  imports: [PredictionModule, InfoModule],
  controllers: [FormController],
})
export class WebModule {}
