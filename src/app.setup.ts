import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { apiAliasMiddleware } from './common/api-alias.middleware';
import { bodyDepthMiddleware, bodyParserErrorsMiddleware } from './common/body-parser-errors.middleware';
import { PACKAGE } from './common/package-info';
import { requestContextMiddleware, restoreRequestContext } from './common/request-context.middleware';
import { configureViews } from './web/view-engine';

/** Largest request body accepted (JSON or form); the 15 answers take well under 1 KiB. */
export const BODY_LIMIT_BYTES = 16 * 1024;

/**
 * Everything main.ts and the e2e tests must share, so tests exercise what production runs: the request context
 * (first, so even 404s and body-parser errors get a transaction id), the `/api` alias, body parsers with their
 * size and depth limits, the form's view engine and static files (`/static/`), and Swagger (the error filter is
 * global, in AppModule). Call before `listen()`/`init()`.
 */
export function configureApp(app: NestExpressApplication): NestExpressApplication {
  app.disable('x-powered-by');
  app.use(requestContextMiddleware);
  app.use(apiAliasMiddleware);
  app.useBodyParser('json', { limit: BODY_LIMIT_BYTES, type: ['application/json', 'application/*+json'] });
  app.useBodyParser('urlencoded', { limit: BODY_LIMIT_BYTES, extended: true });
  app.use(bodyParserErrorsMiddleware);
  app.use(bodyDepthMiddleware);
  app.use(restoreRequestContext);
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
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
}
