import { startService, type ServiceProcess } from '../support/service-process';
import { slowClient, type SlowClientOutcome } from '../support/slow-client';

const HEADERS_TIMEOUT_MS = 2000;
const REQUEST_TIMEOUT_MS = 3000;
const KEEP_ALIVE_TIMEOUT_MS = 1000;
/** How often Node looks for connections past their timeout (TIMEOUT_CHECK_INTERVAL_MS in src/main.ts). */
const CHECK_INTERVAL_MS = 1000;
/** Node keeps an idle keep-alive connection this much past the advertised timeout (its keepAliveTimeoutBuffer). */
const KEEP_ALIVE_BUFFER_MS = 1000;
/** Room for a loaded machine: the 30 s of Node's default checking interval are far beyond it. */
const MARGIN_MS = 1500;

/**
 * The finding: HTTP_HEADERS_TIMEOUT_MS=10000 cut a slowloris only after 20.4 s, because Node looks for expired
 * connections every 30 s by default. Now the service makes its server with a 1 s check, and a client that never
 * finishes its headers, never sends a byte or never finishes its body is cut within its timeout plus that second.
 */
describe('HTTP timeouts of the service process', () => {
  let service: ServiceProcess;
  let clients: Record<'slowloris' | 'silent' | 'slowBody' | 'idle', Promise<SlowClientOutcome>>;

  beforeAll(async () => {
    service = startService({
      HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      HTTP_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_TIMEOUT_MS),
      MODEL_POOL_SIZE: '1',
    });
    const url = await service.url;
    const deadline = (timeoutMs: number): number => timeoutMs + CHECK_INTERVAL_MS + MARGIN_MS + 1000;
    // All at once, each on its own connection: the test takes as long as the longest.
    clients = {
      slowloris: slowClient(url, {
        drip: 'POST /predict HTTP/1.1\r\nHost: localhost\r\nX-Slow: ',
        filler: 'a',
        deadlineMs: deadline(HEADERS_TIMEOUT_MS),
      }),
      silent: slowClient(url, { deadlineMs: deadline(HEADERS_TIMEOUT_MS) }),
      slowBody: slowClient(url, {
        head:
          'POST /predict HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
          'Content-Length: 1000\r\n\r\n{',
        filler: ' ',
        deadlineMs: deadline(REQUEST_TIMEOUT_MS),
      }),
      idle: slowClient(url, {
        head: 'GET /health/live HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n',
        deadlineMs: deadline(KEEP_ALIVE_TIMEOUT_MS + KEEP_ALIVE_BUFFER_MS),
      }),
    };
    for (const client of Object.values(clients)) {
      client.catch(() => undefined);
    }
  });
  afterAll(async () => {
    service.child.kill('SIGTERM');
    await service.exit;
    const figures = await Promise.allSettled(Object.values(clients));
    process.stdout.write(
      `HTTP timeouts (headers ${HEADERS_TIMEOUT_MS} ms, request ${REQUEST_TIMEOUT_MS} ms, keep-alive ` +
        `${KEEP_ALIVE_TIMEOUT_MS} ms, checked every ${CHECK_INTERVAL_MS} ms): ` +
        Object.keys(clients)
          .map((name, i) => {
            const figure = figures[i];
            return figure.status === 'fulfilled'
              ? `${name} closed after ${figure.value.closedAfterMs} ms (${figure.value.statusLine ?? 'nothing written'})`
              : `${name}: ${String(figure.reason)}`;
          })
          .join(', ') +
        '\n',
    );
  });

  it('cuts a slowloris, headers sent a byte at a time, within HTTP_HEADERS_TIMEOUT_MS and one check', async () => {
    const { closedAfterMs, statusLine } = await clients.slowloris;
    expect(closedAfterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS);
    expect(closedAfterMs).toBeLessThan(HEADERS_TIMEOUT_MS + CHECK_INTERVAL_MS + MARGIN_MS);
    expect(statusLine).toBe('HTTP/1.1 408 Request Timeout');
  });

  it('cuts a connection that sends nothing within HTTP_HEADERS_TIMEOUT_MS and one check', async () => {
    const { closedAfterMs } = await clients.silent;
    expect(closedAfterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS);
    expect(closedAfterMs).toBeLessThan(HEADERS_TIMEOUT_MS + CHECK_INTERVAL_MS + MARGIN_MS);
  });

  it('cuts a body sent a byte at a time within HTTP_REQUEST_TIMEOUT_MS and one check', async () => {
    const { closedAfterMs, statusLine } = await clients.slowBody;
    expect(closedAfterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS);
    expect(closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + CHECK_INTERVAL_MS + MARGIN_MS);
    expect(statusLine).toBe('HTTP/1.1 408 Request Timeout');
  });

  it("closes an idle keep-alive connection 1 s after HTTP_KEEP_ALIVE_TIMEOUT_MS (Node's buffer)", async () => {
    const { closedAfterMs, statusLine } = await clients.idle;
    expect(statusLine).toBe('HTTP/1.1 200 OK');
    expect(closedAfterMs).toBeGreaterThanOrEqual(KEEP_ALIVE_TIMEOUT_MS + KEEP_ALIVE_BUFFER_MS);
    expect(closedAfterMs).toBeLessThan(KEEP_ALIVE_TIMEOUT_MS + KEEP_ALIVE_BUFFER_MS + MARGIN_MS);
  });
});
