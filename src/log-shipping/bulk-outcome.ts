import type { BulkResponse, BulkResponseItem } from '@elastic/elasticsearch/lib/api/types';
import type { WriteOutcome } from './log-sink';

/**
 * Bulk-API responses, as pure functions. The requests are `index` (not `create`) operations (encodeDocs), so that
 * re-shipping an entry after a crash overwrites its documents with identical ones.
 */

/** 408, 429 (queue full, circuit breaker) and 5xx (unavailable shards, timeouts) may succeed later. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export function classifyBulkItem(item: BulkResponseItem | undefined): WriteOutcome {
  if (!item) {
    return {
      status: 'retry',
      reason: { status: 0, type: 'missing_item', reason: 'no result for this document' },
    };
  }
  if (item.status >= 200 && item.status < 300 && !item.error) {
    return { status: 'stored' };
  }
  const reason = {
    status: item.status,
    type: item.error?.type ?? 'unknown',
    reason:
      [item.error?.reason, item.error?.caused_by?.reason].filter(Boolean).join(': ') ||
      `status ${item.status}`,
  };
  return isRetryableStatus(item.status) ? { status: 'retry', reason } : { status: 'refused', reason };
}

/** One outcome per document sent, in order (the Bulk API answers items in request order). */
export function bulkOutcomes(response: BulkResponse, count: number): WriteOutcome[] {
  return Array.from({ length: count }, (_, i) => {
    const item = response.items[i];
    return classifyBulkItem(item ? Object.values(item)[0] : undefined);
  });
}
