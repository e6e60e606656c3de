import { EventEmitter } from 'node:events';
import type { NextFunction, Request, Response } from 'express';
import { lastValueFrom, of } from 'rxjs';
import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { bindRequestContext, RequestContext } from '../common/request-context';
import { AppConfig } from '../config/app-config';
import { validateEnv } from '../config/env.schema';
import type { LogEntry } from '../log-store/log-entry';
import { MemoryLogStore } from '../log-store/memory-log-store';
import { RedisConnection } from '../redis/redis.module';
import { RequestLogInterceptor } from './request-log.interceptor';
import { isLoggedPath, RequestLogService, routedPath, withoutInputs } from './request-log.service';
import { waitFor } from '../../test/support/wait-for';

describe(routedPath.name, () => {
  it.each([
    ['/predict', '/predict'],
    ['/predict?model=rf', '/predict'],
    ['/api/predict_proba?x=1', '/predict_proba'],
    ['/api', '/'],
    ['/api?x=1', '/'],
    ['/apis/x', '/apis/x'],
    ['/', '/'],
    ['http://evil.example/predict', '/predict'],
    ['http://evil.example/api/predict?x=1', '/predict'],
    ['http://evil.example', '/'],
  ])('routes %s as %s', (url, path) => {
    expect(routedPath(url)).toBe(path);
  });

  it.each(['*', 'not a url'])(
    'gives no path for the request target %j, which is not an API call',
    (target) => {
      expect(routedPath(target)).toBeUndefined();
      expect(isLoggedPath(routedPath(target))).toBe(false);
    },
  );
});

describe(withoutInputs.name, () => {
  it("drops the values a 422 echoes, keeping each problem's location, type and message", () => {
    const result = {
      detail: [
        { type: 'less_than_equal', loc: ['body', 'AGE'], msg: 'too old', input: 150, ctx: { le: 120 } },
        { type: 'missing', loc: ['body', 'GENDER'], msg: 'Field required', input: { AGE: 150 } },
      ],
      transaction_id: 't',
    };
    expect(withoutInputs(result)).toEqual({
      detail: [
        { type: 'less_than_equal', loc: ['body', 'AGE'], msg: 'too old', ctx: { le: 120 } },
        { type: 'missing', loc: ['body', 'GENDER'], msg: 'Field required' },
      ],
      transaction_id: 't',
    });
  });

  it.each([[{ prediction: 1, probability: 0.9 }], [{ detail: 'Not Found' }], [null], ['text']])(
    'leaves %j alone',
    (result) => {
      expect(withoutInputs(result)).toEqual(result);
    },
  );
});

describe(isLoggedPath.name, () => {
  it.each(['/predict', '/predict_proba', '/', '/models', '/pool/stats', '/no/such/path', '/healthz'])(
    'records calls to %s',
    (path) => expect(isLoggedPath(path)).toBe(true),
  );

  it.each([
    '/health',
    '/metrics',
    '/logs',
    '/logs/stats',
    '/logs/ship',
    '/docs',
    '/docs/swagger-ui.css',
    '/docs-json',
    '/static/css/form.css',
    '/favicon.ico',
    '/robots.txt',
  ])('does not record calls to %s', (path) => expect(isLoggedPath(path)).toBe(false));
});

/** The recorder (RequestLogService.middleware) and the interceptor that feeds it, on a fake request and response. */

interface Call {
  req: Request;
  res: Response & EventEmitter;
  ctx: RequestContext;
  nextCalls: number;
}

function setUp(env: Record<string, string> = {}): {
  service: RequestLogService;
  store: MemoryLogStore;
  entries: () => Promise<LogEntry[]>;
} {
  const config = new AppConfig(validateEnv(env));
  const store = new MemoryLogStore({ viewMaxSize: 100, bufferMax: 100 });
  const service = new RequestLogService(config, store, new RedisConnection(null, config));
  const entries = async (): Promise<LogEntry[]> => {
    await service.drain();
    return (await store.list({ limit: 100, offset: 0 })).logs.reverse();
  };
  return { service, store, entries };
}

function request(
  service: RequestLogService,
  { method = 'POST', url = '/predict', body = { AGE: 60 } as unknown, withContext = true } = {},
): Call {
  const req = { method, originalUrl: url, body } as unknown as Request;
  const res = Object.assign(new EventEmitter(), {
    statusCode: 200,
    headers: {} as Record<string, string>,
    getHeader(name: string) {
      return this.headers[name];
    },
  }) as unknown as Response & EventEmitter & { headers: Record<string, string> };
  const ctx: RequestContext = { transactionId: 'tx-1', startNs: process.hrtime.bigint(), stages: new Map() };
  if (withContext) {
    bindRequestContext(req, ctx);
  }
  const call: Call = { req, res, ctx, nextCalls: 0 };
  service.middleware(req, res, (() => {
    call.nextCalls += 1;
  }) as NextFunction);
  return call;
}

const modelRun = (ctx: RequestContext): void => {
  ctx.stages.set('model_run', { calls: 1, totalNs: 1_000_000n, nestedNs: 0n });
};

describe('RequestLogService.middleware (the recorder)', () => {
  it('records one entry when the response ends, with what the call left on its context', async () => {
    const { service, entries } = setUp({ ENABLE_PERFORMANCE_MONITORING: 'false' });
    const call = request(service, { url: '/api/predict?model=rf', body: { age: 61, GENDER: 1 } });
    expect(call.nextCalls).toBe(1);
    call.ctx.loggedResult = { prediction: 1 };
    call.ctx.model = 'rf@abc';
    call.res.statusCode = 201;
    expect(await entries()).toEqual([]);
    call.res.emit('finish');
    const [entry, ...more] = await entries();
    expect(more).toEqual([]);
    expect(entry!.level).toBe('INFO');
    expect(entry!.data).toMatchObject({
      transaction_id: 'tx-1',
      method: 'POST',
      path: '/predict',
      status_code: 201,
      input_data: { AGE: 61, GENDER: 1 },
      result: { prediction: 1 },
      model: 'rf@abc',
      performance_metrics: null,
    });
    expect(entry!.data.latency_ms).toBeGreaterThanOrEqual(0);
    expect(entry!.data.execution_time_ms).toBe(entry!.data.latency_ms);
    expect(service.pipeline()).toMatchObject({ store: 'memory', redisConnected: false, recordFailures: 0 });
  });

  it('records a response only once, and a call without a model as model null', async () => {
    const { service, entries } = setUp();
    const call = request(service, { method: 'GET', url: '/models', body: null });
    call.res.statusCode = 404;
    call.res.emit('finish');
    call.res.emit('finish');
    const logged = await entries();
    expect(logged).toHaveLength(1);
    expect(logged[0]!.level).toBe('WARNING');
    expect(logged[0]!.data).toMatchObject({ method: 'GET', path: '/models', model: null, input_data: null });
  });

  it.each([
    ['an operational path', { url: '/health/ready' }],
    ['the logs API', { url: '/api/logs?limit=5' }],
    ['a static asset', { url: '/static/form.css' }],
    ['the asterisk request target', { url: '*' }],
    ['a request without a context', { withContext: false }],
  ])('records nothing for %s, and lets the request go on', async (_case, options) => {
    const { service, entries } = setUp();
    const call = request(service, options);
    expect(call.nextCalls).toBe(1);
    call.res.emit('finish');
    expect(await entries()).toEqual([]);
  });

  it('records nothing with LOG_REQUESTS=false', async () => {
    const { service, entries } = setUp({ LOG_REQUESTS: 'false' });
    const call = request(service);
    expect(call.nextCalls).toBe(1);
    call.res.emit('finish');
    expect(await entries()).toEqual([]);
  });

  it.each([
    ['GET', 'text/html; charset=utf-8', 0],
    ['HEAD', 'text/html', 0],
    ['POST', 'text/html; charset=utf-8', 1],
    ['GET', 'application/json', 1],
    ['GET', undefined, 1],
  ])(
    'for a %s answered with %s, records %i entries (a page view is not an API call)',
    async (method, type, n) => {
      const { service, entries } = setUp();
      const call = request(service, { method, url: '/' });
      if (type) {
        (call.res as unknown as { headers: Record<string, string> }).headers['content-type'] = type;
      }
      call.res.emit('finish');
      expect(await entries()).toHaveLength(n);
    },
  );

  it('logs a batch row by row under one transaction id, the profile with the first row only', async () => {
    const { service, entries } = setUp({ ENABLE_PERFORMANCE_MONITORING: 'true' });
    const call = request(service, { url: '/predict/batch', body: { rows: [] } });
    modelRun(call.ctx);
    call.ctx.batchSize = 2;
    call.ctx.loggedRows = [
      { input: { AGE: 30 }, result: { prediction: 0 } },
      { input: { AGE: 70 }, result: { prediction: 1 } },
    ];
    call.res.emit('finish');
    const logged = await entries();
    expect(logged.map((e) => [e.data.transaction_id, e.data.input_data, e.data.result])).toEqual([
      ['tx-1', { AGE: 30 }, { prediction: 0 }],
      ['tx-1', { AGE: 70 }, { prediction: 1 }],
    ]);
    expect(logged[0]!.data.performance_metrics).toMatchObject({ batch_size: 2 });
    expect(logged[1]!.data.performance_metrics).toBeNull();
  });

  it('profiles only model runs, and only with performance monitoring on', async () => {
    const on = setUp({ ENABLE_PERFORMANCE_MONITORING: 'true' });
    const withModel = request(on.service);
    modelRun(withModel.ctx);
    withModel.res.emit('finish');
    const withoutModel = request(on.service);
    withoutModel.res.emit('finish');
    const [profiled, unprofiled] = await on.entries();
    expect(profiled!.data.performance_metrics).toMatchObject({ batch_size: 1, inference_time_ms: 1 });
    expect(unprofiled!.data.performance_metrics).toBeNull();

    const off = setUp({ ENABLE_PERFORMANCE_MONITORING: 'false' });
    const call = request(off.service);
    modelRun(call.ctx);
    call.res.emit('finish');
    expect((await off.entries())[0]!.data.performance_metrics).toBeNull();
  });

  it('with LOG_INPUTS=none keeps neither the body nor the values a 422 echoes', async () => {
    const { service, entries } = setUp({ LOG_INPUTS: 'none' });
    const call = request(service, { body: { AGE: 150 } });
    call.res.statusCode = 422;
    call.ctx.loggedResult = { detail: [{ loc: ['body', 'AGE'], input: 150 }] };
    call.res.emit('finish');
    expect((await entries())[0]!.data).toMatchObject({
      input_data: null,
      result: { detail: [{ loc: ['body', 'AGE'] }] },
    });
  });

  it('counts and survives a failure while recording, and records the next call', async () => {
    const { service, entries } = setUp();
    const broken = request(service, { method: 'GET' });
    broken.res.getHeader = () => {
      throw new Error('boom');
    };
    expect(() => broken.res.emit('finish')).not.toThrow();
    expect(service.pipeline().recordFailures).toBe(1);
    request(service).res.emit('finish');
    expect(await entries()).toHaveLength(1);
  });

  it('writes what it holds on shutdown', async () => {
    const { service, store } = setUp({ LOG_FLUSH_INTERVAL_MS: '60000' });
    request(service).res.emit('finish');
    await service.onModuleDestroy();
    expect((await store.list({ limit: 10, offset: 0 })).total).toBe(1);
  });

  it('samples no request without PROFILE_SAMPLE_RATE, nor a request it does not watch', () => {
    const { service } = setUp({ PROFILE_SAMPLE_RATE: '0' });
    expect(service.sample(request(service).req)).toBeUndefined();
    const sampling = setUp({ PROFILE_SAMPLE_RATE: '1' });
    expect(sampling.service.sample(request(sampling.service, { url: '/health' }).req)).toBeUndefined();
    void sampling.service.onModuleDestroy();
  });
});

function httpContext(req: Request): ExecutionContext {
  return { switchToHttp: () => ({ getRequest: () => req }) } as unknown as ExecutionContext;
}

describe(RequestLogInterceptor.name, () => {
  it("leaves the handler's result on the request's context, and passes it on unchanged", async () => {
    const { service } = setUp();
    const call = request(service);
    const interceptor = new RequestLogInterceptor(service);
    const result = { prediction: 1 };
    await expect(
      lastValueFrom(
        interceptor.intercept(httpContext(call.req), { handle: () => of(result) } as CallHandler),
      ),
    ).resolves.toBe(result);
    expect(call.ctx.loggedResult).toBe(result);
  });

  it('keeps an earlier result when the handler returns nothing (it wrote its own response)', async () => {
    const { service } = setUp();
    const call = request(service);
    call.ctx.loggedResult = { page: 'form' };
    const interceptor = new RequestLogInterceptor(service);
    await lastValueFrom(
      interceptor.intercept(httpContext(call.req), { handle: () => of(undefined) } as CallHandler),
      { defaultValue: null },
    );
    expect(call.ctx.loggedResult).toEqual({ page: 'form' });
  });

  it('passes a request without a context straight through', async () => {
    const { service } = setUp();
    const call = request(service, { withContext: false });
    const interceptor = new RequestLogInterceptor(service);
    await expect(
      lastValueFrom(interceptor.intercept(httpContext(call.req), { handle: () => of(7) } as CallHandler)),
    ).resolves.toBe(7);
    expect(call.ctx.loggedResult).toBeUndefined();
  });

  it('runs a sampled request inside its profile, and records the profiled call', async () => {
    const { service, entries } = setUp({ PROFILE_SAMPLE_RATE: '1', ENABLE_PERFORMANCE_MONITORING: 'true' });
    const call = request(service);
    const interceptor = new RequestLogInterceptor(service);
    let handled = 0;
    const answer = lastValueFrom(
      interceptor.intercept(httpContext(call.req), {
        handle: () => {
          handled += 1;
          return of({ prediction: 0 });
        },
      } as CallHandler),
    );
    await expect(answer).resolves.toEqual({ prediction: 0 });
    expect(handled).toBe(1);
    expect(call.ctx.loggedResult).toEqual({ prediction: 0 });
    modelRun(call.ctx);
    call.res.emit('finish');
    const [entry] = await waitFor("the sampled call's entry", async () => {
      const logged = await entries();
      return logged.length > 0 && logged;
    });
    expect(entry!.data.result).toEqual({ prediction: 0 });
    expect(entry!.data.performance_metrics!.function_calls).toBeGreaterThanOrEqual(0);
    await service.onModuleDestroy();
  });
});
