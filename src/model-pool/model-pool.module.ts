import { Module } from '@nestjs/common';
import { ModelPoolController } from './model-pool.controller';
import { ModelRegistry } from './model-registry';
import { OnnxSessionFactory } from './onnx-session.factory';

/** The single owner of onnxruntime: loads the models at start-up, releases their sessions at shutdown. */
@Module({
  controllers: [ModelPoolController],
  providers: [OnnxSessionFactory, ModelRegistry],
  exports: [ModelRegistry],
})
export class ModelPoolModule {}
