import {
  Controller,
  Delete,
  ExecutionContext,
  Get,
  Post,
  UnauthorizedException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { AppConfig } from '../config/app-config';
import { validateEnv } from '../config/env.schema';
import { ApiKeyGuard, apiKeyMiddleware, KeyScope } from './api-key.guard';

const KEY = 'a-long-enough-secret-key';
const NEXT_KEY = 'the-next-rotated-key-0001';

@Controller('logs')
@KeyScope('logs')
class LogsRoutes {
  @Get()
  list(): void {}

  @Delete()
  @KeyScope('admin')
  clear(): void {}

  @Post('ship')
  @KeyScope('admin')
  ship(): void {}
}

@Controller()
class ApiRoutes {
  @Post('predict')
  predict(): void {}

  @Get('health/live')
  @KeyScope('open')
  live(): void {}
}

@Controller('monitoring')
@KeyScope('monitoring')
class MonitoringRoutes {
  @Get('summary')
  summary(): void {}
}

type Handler = 'list' | 'clear' | 'ship' | 'predict' | 'live' | 'summary';

const CONTROLLER: Record<Handler, object> = {
  list: LogsRoutes,
  clear: LogsRoutes,
  ship: LogsRoutes,
  predict: ApiRoutes,
  live: ApiRoutes,
  summary: MonitoringRoutes,
};

function guard(env: Record<string, string> = {}): ApiKeyGuard {
  return new ApiKeyGuard(new AppConfig(validateEnv(env)), new Reflector());
}

function call(
  handler: Handler,
  headers: Record<string, string | string[]> = {},
  method = 'GET',
): ExecutionContext {
  const routes = CONTROLLER[handler] as { prototype: unknown };
  const req = { headers, method, path: `/${handler}` } as unknown as Request;
  return {
    getType: () => 'http',
    getHandler: () => (routes.prototype as unknown as Record<Handler, () => void>)[handler],
    getClass: () => routes,
    switchToHttp: () => ({ getRequest: () => req }),
  } as unknown as ExecutionContext;
}

const allowed = (g: ApiKeyGuard, context: ExecutionContext): boolean | string => {
  try {
    return g.canActivate(context);
  } catch (error) {
    return (error as Error).constructor.name;
  }
};

describe(ApiKeyGuard.name, () => {
  it('lets everything through when API_KEY is not set, but an admin POST must say it sends JSON', () => {
    const g = guard();
    expect(allowed(g, call('list'))).toBe(true);
    expect(allowed(g, call('clear', {}, 'DELETE'))).toBe(true);
    expect(allowed(g, call('ship', { 'content-type': 'application/json' }, 'POST'))).toBe(true);
    expect(allowed(g, call('ship', { 'content-type': 'application/json; charset=utf-8' }, 'POST'))).toBe(
      true,
    );
    expect(() => g.canActivate(call('ship', {}, 'POST'))).toThrow(UnsupportedMediaTypeException);
    expect(() =>
      g.canActivate(call('ship', { 'content-type': 'application/x-www-form-urlencoded' }, 'POST')),
    ).toThrow(UnsupportedMediaTypeException);
  });

  it.each([
    [
      'admin',
      {
        list: true,
        clear: 'UnauthorizedException',
        ship: 'UnauthorizedException',
        predict: true,
        live: true,
        summary: true,
      },
    ],
    [
      'logs',
      {
        list: 'UnauthorizedException',
        clear: 'UnauthorizedException',
        ship: 'UnauthorizedException',
        predict: true,
        live: true,
        summary: true,
      },
    ],
    [
      'all',
      {
        list: 'UnauthorizedException',
        clear: 'UnauthorizedException',
        ship: 'UnauthorizedException',
        predict: 'UnauthorizedException',
        live: true,
        summary: 'UnauthorizedException',
      },
    ],
  ] as const)(
    'with API_KEY_REQUIRED_FOR=%s, asks a request without a key for it where it must',
    (mode, expected) => {
      const g = guard({ API_KEY: KEY, API_KEY_REQUIRED_FOR: mode });
      const answers = Object.fromEntries(
        (Object.keys(expected) as Handler[]).map((h) => [
          h,
          allowed(g, call(h, {}, h === 'ship' ? 'POST' : 'GET')),
        ]),
      );
      expect(answers).toEqual(expected);
    },
  );

  it('says what is missing: the key, or the JSON content type of an admin POST', () => {
    expect(() => guard({ API_KEY: KEY }).canActivate(call('list'))).toThrow(
      'Missing or wrong X-API-Key (or Authorization: Bearer) header',
    );
    expect(() => guard().canActivate(call('ship', {}, 'POST'))).toThrow(
      'POST /ship needs Content-Type: application/json (so that no page elsewhere can trigger it)',
    );
  });

  it('protects the logs by default', () => {
    expect(allowed(guard({ API_KEY: KEY }), call('list'))).toBe('UnauthorizedException');
  });

  it('takes the key from X-API-Key or Authorization: Bearer, and each of several keys', () => {
    const g = guard({ API_KEY: `${KEY}, ${NEXT_KEY}` });
    expect(g.canActivate(call('list', { 'x-api-key': KEY }))).toBe(true);
    expect(g.canActivate(call('list', { 'x-api-key': NEXT_KEY }))).toBe(true);
    expect(g.canActivate(call('list', { authorization: `Bearer ${NEXT_KEY}` }))).toBe(true);
    expect(g.canActivate(call('list', { authorization: `bearer   ${KEY}` }))).toBe(true);
    expect(g.canActivate(call('list', { authorization: `Bearer ${KEY}  ` }))).toBe(true);
  });

  it.each([
    ['no header', {}],
    ['a wrong key', { 'x-api-key': `${KEY}x` }],
    ['a prefix of the key', { 'x-api-key': KEY.slice(0, 10) }],
    ['an empty key', { 'x-api-key': '' }],
    ['the header twice', { 'x-api-key': [KEY, KEY] }],
    ['the two keys at once', { 'x-api-key': `${KEY}, ${NEXT_KEY}` }],
    ['a Basic authorization', { authorization: `Basic ${KEY}` }],
    ['a Bearer token with a space in it', { authorization: `Bearer ${KEY} x` }],
    ['a word before Bearer', { authorization: `xBearer ${KEY}` }],
  ])('refuses %s with 401', (_case, headers: Record<string, string | string[]>) => {
    expect(() => guard({ API_KEY: `${KEY},${NEXT_KEY}` }).canActivate(call('list', headers))).toThrow(
      UnauthorizedException,
    );
  });
});

describe(apiKeyMiddleware.name, () => {
  const passed = (env: Record<string, string>, headers: Record<string, string> = {}): unknown => {
    const next = jest.fn();
    const req = { headers, method: 'GET', path: '/docs' } as unknown as Request;
    apiKeyMiddleware(new AppConfig(validateEnv(env)))(req, {} as Response, next);
    expect(next).toHaveBeenCalledTimes(1);
    return next.mock.calls[0][0];
  };

  it('asks what is mounted beside Nest for the key with API_KEY_REQUIRED_FOR=all, as an API route', () => {
    expect(passed({ API_KEY: KEY, API_KEY_REQUIRED_FOR: 'all' })).toBeInstanceOf(UnauthorizedException);
    expect(passed({ API_KEY: KEY, API_KEY_REQUIRED_FOR: 'all' }, { 'x-api-key': KEY })).toBeUndefined();
  });

  it.each(['admin', 'logs'])('leaves it open with API_KEY_REQUIRED_FOR=%s, and without API_KEY', (mode) => {
    expect(passed({ API_KEY: KEY, API_KEY_REQUIRED_FOR: mode })).toBeUndefined();
    expect(passed({ API_KEY_REQUIRED_FOR: 'all' })).toBeUndefined();
  });
});
