import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { json, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import type { Server } from 'node:http';
import { apiAliasMiddleware } from './common/api-alias.middleware';
import { apiKeyMiddleware } from './common/api-key.guard';
import { bodyDepthMiddleware, bodyParserErrorsMiddleware } from './common/body-parser-errors.middleware';
import { loadSheddingMiddleware } from './common/load-shedding.middleware';
import { PACKAGE } from './common/package-info';
import { requestContextMiddleware, restoreRequestContext } from './common/request-context.middleware';
import { AppConfig } from './config/app-config';
import { closeConnectionsWhenShuttingDown } from './health/graceful-shutdown';
import { ShutdownState } from './health/shutdown-state';
import { MetricsService } from './monitoring/metrics.service';
import { RequestLogService } from './request-log/request-log.service';
import { configureViews, STATIC_PREFIX } from './web/view-engine';

/** Largest request body accepted (JSON or form); the 15 answers take well under 1 KiB. */
export const BODY_LIMIT_BYTES = 16 * 1024;
/** Largest body of POST /predict/batch per row it may hold (BATCH_MAX_ROWS): a row of answers is about 300 bytes. */
export const BATCH_BODY_BYTES_PER_ROW = 1024;

/** Swagger UI (with its assets below it) and the OpenAPI document, as JSON and YAML. */
const SWAGGER = { ui: 'docs', json: 'docs-json', yaml: 'docs-yaml' } as const;

/**
 * Helmet's headers on every answer, with a policy Swagger UI works under (its own scripts and styles, inline styles,
 * data: icons). The form page sends a stricter policy of its own.
 */
const SECURITY_HEADERS = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      fontSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  },
  crossOriginResourcePolicy: { policy: 'same-origin' },
  referrerPolicy: { policy: 'no-referrer' },
});

/** Answers carry patient answers or live figures: no cache keeps them. Static files set their own caching after. */
function noStore(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Cache-Control', 'no-store');
  next();
}

/**
 * Everything main.ts and the e2e tests must share, so tests exercise what production runs: server timeouts, the
 * request context (first, so even 404s and body-parser errors get a transaction id), shutdown and load shedding,
 * security headers and CORS, the `/api` alias, body parsers with their size and depth limits, the API key on what
 * is mounted beside Nest's routes, the form's view engine and static files (`/static/`), and Swagger (guards,
 * filter and interceptor are global, in AppModule). Call before `listen()`/`init()`.
 */
export function configureApp(app: NestExpressApplication): NestExpressApplication {
  const config = app.get(AppConfig);
  const { api } = config;
  const server = app.getHttpServer() as Server;
  server.headersTimeout = api.headersTimeoutMs;
  server.requestTimeout = api.requestTimeoutMs;
  server.keepAliveTimeout = api.keepAliveTimeoutMs;

  app.disable('x-powered-by');
  // Answers are computed per request: an ETag would only cost a hash of every body.
  app.set('etag', false);
  app.set('trust proxy', api.trustProxy);
  app.use(requestContextMiddleware);
  app.use(app.get(MetricsService).middleware);
  app.use(app.get(RequestLogService).middleware);
  app.use(closeConnectionsWhenShuttingDown(app.get(ShutdownState)));
  app.use(loadSheddingMiddleware(api.maxInflightRequests));
  app.use(SECURITY_HEADERS);
  app.use(noStore);
  if (api.corsOrigins) {
    app.enableCors({
      origin: api.corsOrigins,
      credentials: false,
      methods: ['GET', 'POST', 'DELETE'],
      allowedHeaders: ['Content-Type', 'X-API-Key', 'Authorization', 'X-Request-Id'],
      exposedHeaders: ['X-Transaction-Id', 'Retry-After'],
      maxAge: 600,
    });
  }
  app.use(apiAliasMiddleware);
  // Parsed here, the batch's body is left alone by the general parser below.
  app.use(
    '/predict/batch',
    json({
      limit: config.model.batchMaxRows * BATCH_BODY_BYTES_PER_ROW,
      type: ['application/json', 'application/*+json'],
    }),
  );
  app.useBodyParser('json', { limit: BODY_LIMIT_BYTES, type: ['application/json', 'application/*+json'] });
  app.useBodyParser('urlencoded', { limit: BODY_LIMIT_BYTES, extended: true });
  app.use(bodyParserErrorsMiddleware);
  app.use(bodyDepthMiddleware);
  app.use(restoreRequestContext);
  // Static files and Swagger are mounted beside Nest's routes, out of reach of its guards: the key is checked here.
  app.use([STATIC_PREFIX, ...Object.values(SWAGGER).map((path) => `/${path}`)], apiKeyMiddleware(config));
  configureViews(app);

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('lungcheck')
      .setDescription(
        'Lung-cancer risk prediction from 15 survey answers. Every path also answers under `/api` ' +
          '(e.g. `/api/predict`). Every response carries `X-Transaction-Id`.',
      )
      .setVersion(PACKAGE.version)
      .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key')
      .build(),
  );
  SwaggerModule.setup(SWAGGER.ui, app, document, {
    jsonDocumentUrl: SWAGGER.json,
    yamlDocumentUrl: SWAGGER.yaml,
  });
  return app;
}
