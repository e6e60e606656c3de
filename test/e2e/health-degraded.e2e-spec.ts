import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { EXAMPLE_REQUEST } from '../../src/prediction/predict-request.dto';
import { RequestLogService } from '../../src/request-log/request-log.service';
import { freePort } from '../support/request-log/redis-server';
import { close, createTestApp, listen } from './support/test-app';

const KEY = 'health-degraded-key-0123456789ab';

/** The value of an exposition line `series value`. */
const metric = (text: string, series: string): number =>
  Number(
    text
      .split('\n')
      .find((l) => l.startsWith(`${series} `))
      ?.slice(series.length + 1),
  );

/**
 * /health says `degraded`, with the reason, when what the service owes its users is at risk although the model
 * answers: entries dropped, shipping failing run after run, an entry waiting too long. An Elasticsearch nobody
 * listens for stands for a dead sink.
 */
describe('/health with a dead sink and full buffers (e2e)', () => {
  let app: NestExpressApplication | undefined;
  let url: string;

  beforeAll(async () => {
    app = await createTestApp({
      env: {
        API_KEY: KEY,
        ES_URL: `http://127.0.0.1:${await freePort()}`,
        LOG_BUFFER_MAX: '20',
        HEALTH_WINDOW_SECONDS: '2',
        HEALTH_SHIPPING_FAILURES: '3',
        ALERT_SHIPPING_LAG_SECONDS_WARNING: '1',
        ALERT_SHIPPING_LAG_SECONDS_CRITICAL: '2',
        RATE_LIMIT_PER_MINUTE: '100000',
      },
    });
    url = await listen(app);
  });

  afterAll(() => close(app));

  // One scenario in one test: its states follow one another (the suite runs with --randomize).
  it('is healthy, then degraded while entries are dropped, then after failed runs and a stale entry', async () => {
    const first = await request(url).get('/health').expect(200);
    expect(first.body).toMatchObject({ status: 'healthy', reasons: [] });

    // Entries dropped: degraded, and every drop counted in /metrics.
    for (let i = 0; i < 30; i++) {
      await request(url).post('/predict').send(EXAMPLE_REQUEST).expect(200);
    }
    await app!.get(RequestLogService).drain();
    const health = (await request(url).get('/health').expect(200)).body;
    expect(health.status).toBe('degraded');
    expect(health.reasons).toContainEqual(
      'log entries were dropped within the last 2 s (a bound was reached)',
    );
    expect(health.request_log.dropped_total).toBeGreaterThanOrEqual(10);
    const scrape = (await request(url).get('/metrics').expect(200)).text;
    expect(metric(scrape, 'lungcheck_log_entries_dropped_total')).toBe(health.request_log.dropped_total);
    expect(health.shipping.dropped).toBeGreaterThanOrEqual(health.request_log.dropped_total);

    // HEALTH_SHIPPING_FAILURES failed runs in a row, and an entry waiting past the critical lag.
    for (let run = 1; run <= 3; run++) {
      const report = await request(url)
        .post('/logs/ship')
        .set('X-API-Key', KEY)
        .set('Content-Type', 'application/json')
        .expect(200);
      expect(report.body.outcome).toBe('failed');
    }
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const later = (await request(url).get('/health').expect(200)).body;
    expect(later.status).toBe('degraded');
    expect(later.reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^log shipping failed 3 runs in a row: /),
        expect.stringMatching(
          /^the oldest unshipped log entry is \d+ s old \(ALERT_SHIPPING_LAG_SECONDS_CRITICAL 2\)$/,
        ),
      ]),
    );
    // The drops were more than HEALTH_WINDOW_SECONDS ago: they no longer count.
    expect(later.reasons).not.toContainEqual(expect.stringMatching(/dropped/));
  });
});
