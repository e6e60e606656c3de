import {
  applyDecorators,
  CanActivate,
  ExecutionContext,
  Injectable,
  Logger,
  SetMetadata,
  UnauthorizedException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiHeader, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Request } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { ErrorResponseDto } from './api-errors.dto';

export const API_KEY_HEADER = 'X-API-Key';

/**
 * How much a route needs the key: `admin` (it changes or moves the logs), `logs` (it reads patient answers),
 * `open` (probes and metrics, never behind a key). A route without one is the API itself, behind the key only
 * with API_KEY_REQUIRED_FOR=all.
 */
export type KeyScope = 'admin' | 'logs' | 'open';

const KEY_SCOPE = 'lungcheck:key-scope';

/** Which scopes need the key for each API_KEY_REQUIRED_FOR. */
const PROTECTED: Record<AppConfig['api']['apiKeyRequiredFor'], ReadonlySet<KeyScope | 'api'>> = {
  admin: new Set(['admin']),
  logs: new Set(['admin', 'logs']),
  all: new Set(['admin', 'logs', 'api']),
};

/** Marks a route (or a controller) with its scope, and documents the key in Swagger when it may be asked for. */
export function KeyScope(scope: KeyScope): ClassDecorator & MethodDecorator {
  const mark = SetMetadata(KEY_SCOPE, scope);
  return scope === 'open'
    ? mark
    : applyDecorators(
        mark,
        ApiSecurity('api-key'),
        ApiHeader({
          name: API_KEY_HEADER,
          required: false,
          description: 'Required when the service has API_KEY set',
        }),
        ApiUnauthorizedResponse({
          type: ErrorResponseDto,
          description:
            'API_KEY is set and neither X-API-Key nor Authorization: Bearer carries one of its keys',
        }),
      );
}

const JSON_TYPE = /^application\/([\w.+-]+\+)?json\s*(;|$)/i;

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** The key a request presents: `X-API-Key`, or `Authorization: Bearer <key>`; undefined if none or ambiguous. */
export function presentedKey(req: Request): string | undefined {
  const header = req.headers[API_KEY_HEADER.toLowerCase()];
  if (typeof header === 'string') {
    return header;
  }
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return bearer?.[1];
}

/**
 * The one check of API keys, for every route: with API_KEY set, the routes of the protected scopes need one of its
 * keys (several during a rotation), compared as digests in constant time so that neither their content nor their
 * length leaks through timing. Without API_KEY everything stays open, as in the reference, except that an admin
 * POST (POST /logs/ship) must say it sends JSON: a cross-site form cannot, so a page elsewhere cannot trigger it.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: Buffer[];
  private readonly protectedScopes: ReadonlySet<KeyScope | 'api'>;

  constructor(
    config: AppConfig,
    private readonly reflector: Reflector,
  ) {
    this.keys = config.api.apiKeys.map(digest);
    this.protectedScopes = PROTECTED[config.api.apiKeyRequiredFor];
    if (this.keys.length === 0) {
      new Logger(ApiKeyGuard.name).warn(
        'API_KEY is not set: the logs endpoints (GET /logs, /logs/stats, with patient answers) and the admin ' +
          'endpoints (DELETE /logs, POST /logs/ship) are open to anyone who can reach the service',
      );
    }
  }

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') {
      return true;
    }
    const scope =
      this.reflector.getAllAndOverride<KeyScope | undefined>(KEY_SCOPE, [
        context.getHandler(),
        context.getClass(),
      ]) ?? 'api';
    if (scope === 'open') {
      return true;
    }
    const req = context.switchToHttp().getRequest<Request>();
    if (this.keys.length === 0) {
      if (scope === 'admin' && req.method === 'POST' && !JSON_TYPE.test(req.headers['content-type'] ?? '')) {
        throw new UnsupportedMediaTypeException(
          `${req.method} ${req.path} needs Content-Type: application/json (so that no page elsewhere can trigger it)`,
        );
      }
      return true;
    }
    if (!this.protectedScopes.has(scope)) {
      return true;
    }
    const given = presentedKey(req);
    if (given === undefined || !this.matches(digest(given))) {
      throw new UnauthorizedException(`Missing or wrong ${API_KEY_HEADER} (or Authorization: Bearer) header`);
    }
    return true;
  }

  private matches(given: Buffer): boolean {
    // Every key is compared, whichever matches, so the time does not say which one did.
    return this.keys.reduce((found, key) => timingSafeEqual(given, key) || found, false);
  }
}
