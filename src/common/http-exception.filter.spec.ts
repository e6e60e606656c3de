import { BadRequestException, HttpException, Logger, NotFoundException } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import express, { NextFunction, Request, Response } from 'express';
import request from 'supertest';
import { RequestValidationException, TemporarilyUnavailableException } from './api-errors';
import { bodyParserErrorsMiddleware } from './body-parser-errors.middleware';
import { errorReply, HttpExceptionFilter } from './http-exception.filter';
import { RequestContext, requestContextOf, requestContextStorage } from './request-context';
import { requestContextMiddleware } from './request-context.middleware';
import { RecordingLogger } from '../../test/support/recording-logger';

describe('errorReply', () => {
  it('keeps the validation problems as the 422 detail', () => {
    const detail = [{ type: 'missing', loc: ['body', 'AGE'], msg: 'Field required' }];
    expect(errorReply(new RequestValidationException(detail))).toEqual({ status: 422, detail, headers: {} });
  });

  it('answers an HttpException with its status and message', () => {
    expect(errorReply(new BadRequestException('Unknown model "x"'))).toEqual({
      status: 400,
      detail: 'Unknown model "x"',
      headers: {},
    });
    expect(errorReply(new NotFoundException('Cannot GET /nope')).detail).toBe('Cannot GET /nope');
  });

  it('answers an HttpException made of a bare string with that string', () => {
    expect(errorReply(new HttpException('I am a teapot', 418))).toEqual({
      status: 418,
      detail: 'I am a teapot',
      headers: {},
    });
  });

  it('joins the messages of an exception that has several', () => {
    expect(errorReply(new BadRequestException(['AGE is required', 'GENDER is required'])).detail).toBe(
      'AGE is required; GENDER is required',
    );
  });

  it("sends a response object without a message as it is (a health check's report), detail from the exception", () => {
    expect(errorReply(new HttpException({ reason: 'teapot' }, 418))).toEqual({
      status: 418,
      detail: 'Http Exception',
      headers: {},
      body: { reason: 'teapot' },
    });
  });

  it('adds Retry-After to a temporary unavailability', () => {
    expect(errorReply(new TemporarilyUnavailableException('busy', 3))).toEqual({
      status: 503,
      detail: 'busy',
      headers: { 'Retry-After': '3' },
    });
  });

  it('hides unexpected errors behind a bare 500', () => {
    expect(errorReply(new Error('secret internals at /srv/x.ts:12'))).toEqual({
      status: 500,
      detail: 'Internal Server Error',
      headers: {},
    });
    expect(errorReply('a thrown string').status).toBe(500);
  });
});

describe(HttpExceptionFilter.name, () => {
  let logs: RecordingLogger;

  /**
   * An Express app whose routes throw, answered by the filter as Nest would call it; `lostContext` calls it outside
   * the request's async context, as happens in Express error handlers.
   */
  const appWith = (
    filter: HttpExceptionFilter,
    { withContext = true, lostContext = false } = {},
  ): express.Express => {
    const app = express();
    if (withContext) {
      app.use(requestContextMiddleware);
    }
    app.post('/predict', express.json(), bodyParserErrorsMiddleware, (_req: Request, res: Response) => {
      res.json({ prediction: 1 });
    });
    app.get('/bad', () => {
      throw new NotFoundException('Unknown model "x"');
    });
    app.get('/busy', () => {
      throw new TemporarilyUnavailableException('busy', 3);
    });
    app.get('/boom', () => {
      throw new Error('secret internals');
    });
    app.get('/late', (_req, res) => {
      res.status(200).write('partial');
      throw new Error('failed half-way');
    });
    app.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
      const answer = (): void => filter.catch(error, new ExecutionContextHost([req, res, next]));
      if (lostContext) {
        requestContextStorage.exit(answer);
      } else {
        answer();
      }
    });
    return app;
  };

  beforeEach(() => {
    logs = new RecordingLogger();
    Logger.overrideLogger(logs);
  });

  it("answers an HttpException with its status, its detail and the request's transaction id", async () => {
    const res = await request(appWith(new HttpExceptionFilter())).get('/bad').set('X-Request-Id', 'req-1');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ detail: 'Unknown model "x"', transaction_id: 'req-1' });
    expect(logs.lines).toEqual([]);
  });

  it("sends the exception's headers", async () => {
    const res = await request(appWith(new HttpExceptionFilter())).get('/busy');
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('3');
    expect(res.body).toEqual({ detail: 'busy', transaction_id: res.headers['x-transaction-id'] });
  });

  it('answers an unexpected error with a bare 500 and logs it with its stack', async () => {
    const res = await request(appWith(new HttpExceptionFilter())).get('/boom').set('X-Request-Id', 'req-3');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ detail: 'Internal Server Error', transaction_id: 'req-3' });
    expect(logs.lines).toHaveLength(1);
    expect(logs.lines[0]).toMatch(/^error: GET \/boom failed: Error: secret internals\n\s+at /);
  });

  it('ends a response already under way instead of answering again', async () => {
    const res = await request(appWith(new HttpExceptionFilter())).get('/late');
    expect(res.status).toBe(200);
    expect(res.text).toBe('partial');
    expect(logs.lines).toEqual([expect.stringMatching(/^error: GET \/late failed: Error: failed half-way/)]);
  });

  it('finds the transaction id on the request where the async context was lost', async () => {
    const res = await request(appWith(new HttpExceptionFilter(), { lostContext: true }))
      .get('/bad')
      .set('X-Request-Id', 'req-5');
    expect(res.body).toEqual({ detail: 'Unknown model "x"', transaction_id: 'req-5' });
  });

  it('answers a request that has no context, without a transaction id', async () => {
    const res = await request(appWith(new HttpExceptionFilter(), { withContext: false })).get('/bad');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ detail: 'Unknown model "x"' });
  });

  it('leaves the error body it sent on the request context, for the request log', async () => {
    let ctx: RequestContext | undefined;
    const app = express();
    app.use(requestContextMiddleware);
    app.use((req: Request, _res: Response, next: NextFunction) => {
      ctx = requestContextOf(req);
      next();
    });
    app.get('/bad', () => {
      throw new NotFoundException('Unknown model "x"');
    });
    app.use((error: unknown, req: Request, res: Response, next: NextFunction) =>
      new HttpExceptionFilter().catch(error, new ExecutionContextHost([req, res, next])),
    );
    const res = await request(app).get('/bad').expect(404);
    expect(ctx?.loggedResult).toEqual(res.body);
  });
});
