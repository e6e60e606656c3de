import { randomUUID } from 'node:crypto';

const REASONABLE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The transaction id of a request: the caller's `X-Request-Id` when it is a reasonable token (so a proxy's or a
 * client's id follows the call through our logs), a fresh uuid4 otherwise. Anything longer or with other characters
 * is ignored rather than trusted, since it ends up in response headers, logs and Elasticsearch documents.
 */
export function resolveTransactionId(requestId: string | string[] | undefined): string {
  const candidate = Array.isArray(requestId) ? requestId[0] : requestId;
  return candidate !== undefined && REASONABLE_REQUEST_ID.test(candidate) ? candidate : randomUUID();
}
