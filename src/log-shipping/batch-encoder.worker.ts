import { parentPort } from 'node:worker_threads';
import { errorText } from '../common/error-text';
import type { EncodeReply, EncodeRequest } from './batch-encoder';
import { encodeBatch } from './log-shipping.encode';

/** The shipping worker thread (WorkerBatchEncoder): encodes each batch it is sent, in order. */
parentPort?.on('message', ({ id, items, indexes }: EncodeRequest) => {
  let reply: EncodeReply;
  try {
    reply = { id, batch: encodeBatch(items, indexes) };
  } catch (error) {
    reply = { id, error: errorText(error) };
  }
  parentPort?.postMessage(reply);
});
