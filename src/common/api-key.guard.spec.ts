import { ExecutionContext, UnauthorizedException } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { validateEnv } from '../config/env.schema';
import { ApiKeyGuard } from './api-key.guard';

const KEY = 'a-long-enough-secret-key';

function guard(env: Record<string, string> = {}): ApiKeyGuard {
  return new ApiKeyGuard(new AppConfig(validateEnv(env)));
}

function request(headers: Record<string, string | string[]>): ExecutionContext {
  return { switchToHttp: () => ({ getRequest: () => ({ headers }) }) } as unknown as ExecutionContext;
}

describe(ApiKeyGuard.name, () => {
  it('lets everyone through when API_KEY is not set', () => {
    expect(guard().canActivate(request({}))).toBe(true);
  });

  it('lets a request with the right X-API-Key through', () => {
    expect(guard({ API_KEY: KEY }).canActivate(request({ 'x-api-key': KEY }))).toBe(true);
  });

  it.each([
    ['no header', {}],
    ['a wrong key', { 'x-api-key': `${KEY}x` }],
    ['a prefix of the key', { 'x-api-key': KEY.slice(0, 10) }],
    ['an empty key', { 'x-api-key': '' }],
    ['the header twice', { 'x-api-key': [KEY, KEY] }],
  ])('refuses %s with 401', (_case, headers: Record<string, string | string[]>) => {
    expect(() => guard({ API_KEY: KEY }).canActivate(request(headers))).toThrow(UnauthorizedException);
  });
});
