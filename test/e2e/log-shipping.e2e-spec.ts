import { Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/app.setup';
import { AppConfig } from '../../src/config/app-config';
import { validateEnv } from '../../src/config/env.schema';
import { ELASTICSEARCH_CLIENT } from '../../src/elasticsearch/elasticsearch.module';
import { LogStore } from '../../src/log-store/log-store';
import { EXAMPLE_REQUEST } from '../../src/prediction/predict-request.dto';
import {
  explainedEntry,
  explanation,
  predictionEntry,
  validationErrorEntry,
} from '../support/log-shipping/entries';
import { MockCluster } from '../support/log-shipping/mock-cluster';
import { expectedCounts, INDEXES } from '../support/log-shipping/shipping-scenarios';
import { MODEL_DIR } from './support/test-app';
import { asStored } from '../support/request-log/log-entries';
import { loggedEntries } from '../support/request-log/wait';

const API_KEY = 'e2e-shipping-key-0123456789';

/**
 * The real application, with the Elasticsearch client (when ES_URL is given) talking to a mock cluster. Each test
 * gets its own, with an empty queue and a fresh cluster, so that none depends on what another left behind.
 */
async function shippingApp(
  env: Record<string, string>,
  cluster?: MockCluster,
): Promise<{ app: NestExpressApplication; archiveDir: string }> {
  const archiveDir = mkdtempSync(join(tmpdir(), 'lungcheck-e2e-ship-'));
  const config = new AppConfig(
    validateEnv({
      MODEL_DIR,
      MODEL_POOL_SIZE: '1',
      LOG_SHIP_INTERVAL_SECONDS: '0',
      LOG_ARCHIVE_DIR: archiveDir,
      ...env,
    }),
  );
  let builder = Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(AppConfig)
    .useValue(config);
  if (cluster) {
    builder = builder.overrideProvider(ELASTICSEARCH_CLIENT).useValue(cluster.client());
  }
  const app = (await builder.compile()).createNestApplication<NestExpressApplication>({ logger: false });
  configureApp(app);
  await app.init();
  return { app, archiveDir };
}

describe('POST /logs/ship', () => {
  beforeAll(() => Logger.overrideLogger(false));

  describe('without Elasticsearch (the embedded NDJSON archive)', () => {
    let app: NestExpressApplication;
    let archiveDir: string;

    beforeEach(async () => {
      ({ app, archiveDir } = await shippingApp({}));
    });
    afterEach(async () => {
      await app.close();
    });

    it('ships the queued entries to NDJSON files and answers the run report', async () => {
      const entries = [predictionEntry(), predictionEntry(), validationErrorEntry()];
      await app.get(LogStore).append(asStored(entries));
      const res = await request(app.getHttpServer()).post('/logs/ship').send({}).expect(200);
      expect(res.body).toMatchObject({
        trigger: 'manual',
        outcome: 'shipped',
        sink: 'ndjson',
        target: archiveDir,
        entries_read: 3,
        entries_shipped: 3,
        entries_retrying: 0,
        dead_lettered: 0,
        documents: expectedCounts(entries),
      });
      expect(readdirSync(archiveDir).sort()).toEqual(
        [INDEXES.logs, INDEXES.message, INDEXES.perfs, INDEXES.topFunc]
          .map((i) => `${i}-2025.03.14.ndjson`)
          .sort(),
      );
    });

    it('answers an idle run when nothing is queued, also under /api', async () => {
      const res = await request(app.getHttpServer()).post('/api/logs/ship').send({}).expect(200);
      expect(res.body).toMatchObject({ outcome: 'idle', entries_read: 0 });
      expect(readdirSync(archiveDir)).toEqual([]);
    });

    it('refuses a POST that does not say it sends JSON, as a cross-site form would, with 415', async () => {
      await app.get(LogStore).append(asStored([predictionEntry()]));
      const res = await request(app.getHttpServer()).post('/logs/ship').type('form').send('x=1').expect(415);
      expect(res.body.detail).toBe(
        'POST /logs/ship needs Content-Type: application/json (so that no page elsewhere can trigger it)',
      );
      await request(app.getHttpServer()).post('/logs/ship').expect(415);
      expect((await app.get(LogStore).queueStats()).pending).toBe(1);
    });

    it('is documented in Swagger with its API key header and 401', async () => {
      const { body: doc } = await request(app.getHttpServer()).get('/docs-json').expect(200);
      const ship = doc.paths['/logs/ship'].post;
      expect(Object.keys(ship.responses).sort()).toEqual(['200', '401', '415']);
      expect(ship.parameters.map((p: { name: string }) => p.name)).toEqual(['X-API-Key']);
      expect(doc.components.schemas.LogStatsDto.properties.shipping).toBeDefined();
      expect(Object.keys(doc.components.schemas.ShippingRunReportDto.properties)).toEqual(
        expect.arrayContaining([
          'outcome',
          'entries_shipped',
          'entries_retrying',
          'documents',
          'dead_lettered',
        ]),
      );
    });
  });

  describe('with API_KEY set', () => {
    let app: NestExpressApplication;

    beforeEach(async () => {
      ({ app } = await shippingApp({ API_KEY }));
      await app.get(LogStore).append(asStored([predictionEntry()]));
    });
    afterEach(async () => {
      await app.close();
    });

    it('refuses a missing or wrong X-API-Key with 401 and ships nothing', async () => {
      const missing = await request(app.getHttpServer()).post('/logs/ship').expect(401);
      expect(missing.body).toMatchObject({ detail: expect.stringContaining('X-API-Key') as string });
      await request(app.getHttpServer()).post('/logs/ship').set('X-API-Key', `${API_KEY}x`).expect(401);
      expect((await app.get(LogStore).queueStats()).pending).toBe(1);
    });

    it('ships with the right key', async () => {
      const res = await request(app.getHttpServer()).post('/logs/ship').set('X-API-Key', API_KEY).expect(200);
      expect(res.body).toMatchObject({ outcome: 'shipped', entries_shipped: 1 });
      expect((await app.get(LogStore).queueStats()).pending).toBe(0);
    });
  });

  describe('with Elasticsearch configured', () => {
    let app: NestExpressApplication;
    let cluster: MockCluster;

    beforeEach(async () => {
      cluster = new MockCluster();
      ({ app } = await shippingApp({ ES_URL: MockCluster.NODE, LOG_SHIP_BATCH_SIZE: '2' }, cluster));
    });
    afterEach(async () => {
      await app.close();
    });

    it('installs the templates, bulk-indexes every document and reports it in /health', async () => {
      const entries = [
        predictionEntry(),
        validationErrorEntry(),
        predictionEntry({ data: { path: '/predict_proba' } }),
        explainedEntry(),
      ];
      await app.get(LogStore).append(asStored(entries));
      const res = await request(app.getHttpServer()).post('/logs/ship').send({}).expect(200);
      expect(res.body).toMatchObject({
        outcome: 'shipped',
        sink: 'elasticsearch',
        batches: 2,
        entries_shipped: 4,
        dead_lettered: 0,
      });
      expect(cluster.templates.size).toBe(6);
      for (const [index, count] of Object.entries(expectedCounts(entries))) {
        expect({ index, count: cluster.count(index) }).toEqual({ index, count });
      }
      expect(cluster.docs(INDEXES.message).get(entries[3]!.id)).toMatchObject({
        explanation: explanation(),
        shadow: { status: 'ok', prediction: 1, agrees: true },
      });

      const health = await request(app.getHttpServer()).get('/health').expect(200);
      expect(health.body.shipping).toMatchObject({
        sink: 'elasticsearch',
        target: MockCluster.NODE,
        last_outcome: 'shipped',
        entries_shipped: 4,
        pending: 0,
        oldest_unshipped_age_seconds: null,
      });
      const stats = await request(app.getHttpServer()).get('/logs/stats').expect(200);
      expect(stats.body.shipping).toMatchObject({ last_outcome: 'shipped', entries_shipped: 4, pending: 0 });
    });

    it("ships an explained prediction's answers and the shadow model's answer, as the service logged them", async () => {
      await app.close();
      ({ app } = await shippingApp({ ES_URL: MockCluster.NODE, SHADOW_MODEL: 'random_forest' }, cluster));
      const answered = await request(app.getHttpServer())
        .post('/predict?explain=true')
        .send(EXAMPLE_REQUEST)
        .expect(200);
      const [entry] = await loggedEntries(app, 1);
      expect(entry?.data.explanation).toBeDefined();
      const res = await request(app.getHttpServer()).post('/logs/ship').send({}).expect(200);
      expect(res.body).toMatchObject({ outcome: 'shipped', entries_shipped: 1, dead_lettered: 0 });

      const message = cluster.docs(INDEXES.message).get(entry!.id);
      const raising = (answered.body.explanation.contributions as { answer: string; contribution: number }[])
        .filter((c) => c.contribution > 0)
        .sort((a, b) => b.contribution - a.contribution)
        .slice(0, 3)
        .map((c) => c.answer);
      expect(message).toMatchObject({
        result: { prediction: answered.body.prediction },
        explanation: {
          method: answered.body.explanation.method,
          output_scale: answered.body.explanation.output_scale,
          base_value: answered.body.explanation.base_value,
          output: answered.body.explanation.output,
        },
        shadow: { model: expect.stringMatching(/^random_forest@/) as string, status: 'ok' },
      });
      expect(
        (message?.explanation as { raising: { answer: string }[] }).raising.map((c) => c.answer),
      ).toEqual(raising);
      expect(cluster.docs(INDEXES.logs).get(entry!.id)?.result).not.toHaveProperty('explanation');
    });

    it('reports a failed run, what is pending and since when, while the cluster is down', async () => {
      // Up first (templates installed, one entry shipped), then down for the bulk of the next run.
      await app.get(LogStore).append(asStored([predictionEntry()]));
      await request(app.getHttpServer())
        .post('/logs/ship')
        .send({})
        .expect(200, /"outcome":"shipped"/);
      cluster.down = true;
      await app
        .get(LogStore)
        .append(asStored([predictionEntry({ timestamp: new Date(Date.now() - 120_000).toISOString() })]));
      const res = await request(app.getHttpServer()).post('/logs/ship').send({}).expect(200);
      expect(res.body).toMatchObject({ outcome: 'failed', entries_shipped: 0, entries_retrying: 1 });
      expect(res.body.error).toMatch(/ConnectionError/);
      const health = await request(app.getHttpServer()).get('/health').expect(200);
      expect(health.body.shipping).toMatchObject({
        last_outcome: 'failed',
        pending: 1,
        consecutive_failures: 1,
      });
      expect(health.body.shipping.oldest_unshipped_age_seconds).toBeGreaterThanOrEqual(120);
    });
  });
});
