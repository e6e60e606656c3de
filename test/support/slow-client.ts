import { connect } from 'node:net';

/** What a slow client saw: when the server closed its connection, and the status line it wrote first, if any. */
export interface SlowClientOutcome {
  /** Counted from the moment the connection was made. */
  closedAfterMs: number;
  /** `HTTP/1.1 408 Request Timeout`, say; undefined when the server wrote nothing. */
  statusLine?: string;
}

export interface SlowClientOptions {
  /** Sent at once after connecting. */
  head?: string;
  /** Then sent one byte every `intervalMs`, and after it `filler` one byte at a time, until the server closes. */
  drip?: string;
  filler?: string;
  intervalMs?: number;
  /** Give up then, failing with a message saying so: a server that never closes must not hang the test. */
  deadlineMs: number;
}

/**
 * A client that holds a connection the way a slowloris does: it sends `head`, then drips `drip` and `filler` one byte
 * at a time and never finishes, or sends nothing at all, or (with a whole request as `head`) idles after the answer.
 * Resolves when the server closes the connection.
 */
export function slowClient(url: string, options: SlowClientOptions): Promise<SlowClientOutcome> {
  const { head = '', drip = '', filler = '', intervalMs = 100, deadlineMs } = options;
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let connectedAt: number | undefined;
    let received = '';
    let dripped = 0;
    let dripper: NodeJS.Timeout | undefined;
    const giveUp = setTimeout(() => {
      clearInterval(dripper);
      socket.destroy();
      reject(
        new Error(
          `the server did not close a slow client within ${deadlineMs} ms (${dripped} bytes dripped)`,
        ),
      );
    }, deadlineMs);
    socket.on('connect', () => {
      connectedAt = Date.now();
      socket.write(head);
      if (drip || filler) {
        dripper = setInterval(() => {
          socket.write(dripped < drip.length ? drip[dripped] : filler);
          dripped += 1;
        }, intervalMs);
      }
    });
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    // Writing after the server's close fails with EPIPE or ECONNRESET: the close itself is what is measured.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(dripper);
      clearTimeout(giveUp);
      if (connectedAt === undefined) {
        reject(new Error(`could not connect to ${url}`));
        return;
      }
      resolve({
        closedAfterMs: Date.now() - connectedAt,
        statusLine: received.split('\r\n')[0] || undefined,
      });
    });
  });
}
