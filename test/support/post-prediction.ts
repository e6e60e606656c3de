import { Agent, request } from 'node:http';
import { EXAMPLE_REQUEST } from '../../src/prediction/predict-request.dto';

const BODY = JSON.stringify(EXAMPLE_REQUEST);

/** What became of one POST /predict sent on a raw keep-alive connection. */
export interface PostOutcome {
  id: string;
  status?: number;
  /** The connection error, for a request that got no answer. */
  error?: string;
  /** Whether the answer said Connection: close. */
  closing?: boolean;
}

/**
 * POST /predict of the reference example with `X-Request-Id: id` through `agent` (node:http, so that the tests see
 * resets and `Connection: close` as a client would). Never rejects: a request without an answer has `error`.
 */
export function postPrediction(url: string, agent: Agent, id: string): Promise<PostOutcome> {
  return new Promise((resolve) => {
    const req = request(
      `${url}/predict`,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(BODY),
          'x-request-id': id,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({ id, status: res.statusCode, closing: res.headers.connection === 'close' }),
        );
        res.on('error', (error: NodeJS.ErrnoException) =>
          resolve({ id, error: error.code ?? error.message }),
        );
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ id, error: error.code ?? error.message }));
    req.end(BODY);
  });
}
