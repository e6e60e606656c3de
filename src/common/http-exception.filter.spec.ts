import { BadRequestException, HttpException, Logger, LoggerService, NotFoundException } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import express, { NextFunction, Request, Response } from 'express';
import request from 'supertest';
import { AppConfig } from '../config/app-config';
import { validateEnv } from '../config/env.schema';
import { RedisConnection } from '../redis/redis.module';
import { MemoryLogStore } from '../request-log/memory-log-store';
import { RequestLogService } from '../request-log/request-log.service';
import { waitFor } from '../../test/support/wait-for';
import { RequestValidationException, TemporarilyUnavailableException } from './api-errors';
import { bodyParserErrorsMiddleware } from './body-parser-errors.middleware';
import { errorReply, HttpExceptionFilter } from './http-exception.filter';
import { requestContextMiddleware } from './request-context.middleware';

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

class RecordingLogger implements LoggerService {
  readonly lines: string[] = [];
  log(message: string): void {
    this.lines.push(`log: ${message}`);
  }
  warn(message: string): void {
    this.lines.push(`warn: ${message}`);
  }
  error(message: string): void {
    this.lines.push(`error: ${message}`);
  }
}

describe(HttpExceptionFilter.name, () => {
  let logs: RecordingLogger;

  /** An Express app whose routes throw, answered by the filter as Nest would call it. */
  const appWith = (filter: HttpExceptionFilter, { withContext = true } = {}): express.Express => {
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
      filter.catch(error, new ExecutionContextHost([req, res, next]));
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

  it('finds the transaction id of a request whose context the body parser lost', async () => {
    const res = await request(appWith(new HttpExceptionFilter()))
      .post('/predict')
      .set('X-Request-Id', 'req-5')
      .set('Content-Type', 'application/json')
      .send('{"AGE": 6');
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ detail: [{ type: 'json_invalid' }], transaction_id: 'req-5' });
  });

  it('answers a request that has no context, without a transaction id', async () => {
    const res = await request(appWith(new HttpExceptionFilter(), { withContext: false })).get('/bad');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ detail: 'Unknown model "x"' });
  });

  it('has the request log record the error body it sent', async () => {
    const store = new MemoryLogStore({ viewMaxSize: 10, bufferMax: 10 });
    const config = new AppConfig(validateEnv({ ENABLE_PERFORMANCE_MONITORING: 'false' }));
    const requestLog = new RequestLogService(config, store, new RedisConnection(null, config));
    try {
      const res = await request(appWith(new HttpExceptionFilter(requestLog)))
        .post('/predict')
        .set('Content-Type', 'application/json')
        .send('{"AGE": 6');
      const { logs: entries } = await waitFor('the failed call to be logged', async () => {
        const page = await store.list({ limit: 10, offset: 0 });
        return page.total > 0 && page;
      });
      expect(entries).toHaveLength(1);
      expect(entries[0]!.data).toMatchObject({ path: '/predict', status_code: 422, result: res.body });
    } finally {
      await requestLog.onModuleDestroy();
    }
  });
});
