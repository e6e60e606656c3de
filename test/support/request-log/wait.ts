import type { INestApplication } from '@nestjs/common';
import type { LogEntry } from '../../../src/log-store/log-entry';
import { LogStore } from '../../../src/log-store/log-store';
import { RequestLogService } from '../../../src/request-log/request-log.service';
import { waitFor } from '../wait-for';

/**
 * The view's entries once it holds at least `count` (newest first). Entries are recorded when a response has
 * ended and written just after; the client may see the response first, so this waits for them rather than
 * guessing a delay, up to a deadline.
 */
export function loggedEntries(app: INestApplication, count: number): Promise<LogEntry[]> {
  const store = app.get(LogStore);
  const recorder = app.get(RequestLogService);
  return waitFor(`${count} entries in the /logs view`, async () => {
    await recorder.drain();
    const { total, logs } = await store.list({ limit: Number.MAX_SAFE_INTEGER, offset: 0 });
    return total >= count ? logs : undefined;
  });
}
