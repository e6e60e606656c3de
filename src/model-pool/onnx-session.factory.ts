import { Injectable } from '@nestjs/common';
import { InferenceSession } from 'onnxruntime-node';

/**
 * Creates onnxruntime sessions: the one place the service talks to onnxruntime's loader. One intra-op thread per
 * session, because parallelism comes from the pool (several sessions running at once), not from each run.
 * An injectable class so tests can make session creation fail.
 */
@Injectable()
export class OnnxSessionFactory {
  create(model: Uint8Array): Promise<InferenceSession> {
    return InferenceSession.create(model, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  }
}
