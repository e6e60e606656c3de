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
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { ErrorResponseDto } from './api-errors.dto';

export const API_KEY_HEADER = 'X-API-Key';

/**
 * How much a route needs the key: `admin` (it changes or moves the logs), `logs` (it reads patient answers),
 * `monitoring` (aggregates of patient answers: drift, the dashboard, the alerts), `open` (probes and metrics, never
 * behind a key). A route without one is the API itself. `monitoring` and the API are behind the key only with
 * API_KEY_REQUIRED_FOR=all, and so is what is mounted beside Nest's routes (Swagger, static files: apiKeyMiddleware).
 */
export type KeyScope = 'admin' | 'logs' | 'monitoring' | 'open';

/** A route's scope: the one it is marked with, or `api`. */
type RouteScope = KeyScope | 'api';

const KEY_SCOPE = 'lungcheck:key-scope';

/** Which scopes need the key for each API_KEY_REQUIRED_FOR: `all` is every route but the `open` ones. */
const PROTECTED: Record<AppConfig['api']['apiKeyRequiredFor'], ReadonlySet<RouteScope>> = {
  admin: new Set(['admin']),
  logs: new Set(['admin', 'logs']),
  all: new Set(['admin', 'logs', 'monitoring', 'api']),
};

/** Marks a route (or a controller) with its scope, and documents the key in Swagger when it may be asked for. */
export function KeyScope(scope: KeyScope): ClassDecorator & MethodDecorator {
  const mark = SetMetadata(KEY_SCOPE, scope);
  const onlyWithAll = scope === 'monitoring' ? ' with API_KEY_REQUIRED_FOR=all' : '';
  return scope === 'open'
    ? mark
    : applyDecorators(
        mark,
        ApiSecurity('api-key'),
        // One wording for every scope: a route marked on its controller and on itself gets the header twice.
        ApiHeader({
          name: API_KEY_HEADER,
          required: false,
          description: 'Required when the service has API_KEY set, on the routes API_KEY_REQUIRED_FOR names',
        }),
        ApiUnauthorizedResponse({
          type: ErrorResponseDto,
          description: `API_KEY is set${onlyWithAll} and neither X-API-Key nor Authorization: Bearer carries one of its keys`,
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
 * The one check of API keys: with API_KEY set, the routes of the protected scopes need one of its keys (several
 * during a rotation), compared as digests in constant time so that neither their content nor their length leaks
 * through timing. Without API_KEY everything stays open, as in the reference, except that an admin POST (POST
 * /logs/ship) must say it sends JSON: a cross-site form cannot, so a page elsewhere cannot trigger it.
 */
class ApiKeyPolicy {
  private readonly keys: Buffer[];
  private readonly protectedScopes: ReadonlySet<RouteScope>;

  constructor(api: Pick<AppConfig['api'], 'apiKeys' | 'apiKeyRequiredFor'>) {
    this.keys = api.apiKeys.map(digest);
    this.protectedScopes = PROTECTED[api.apiKeyRequiredFor];
  }

  /** Whether API_KEY is set. */
  get enabled(): boolean {
    return this.keys.length > 0;
  }

  /** Throws the 401 (or 415) a request gets when it may not reach a route of `scope`. */
  enforce(req: Request, scope: RouteScope): void {
    if (scope === 'open') {
      return;
    }
    if (!this.enabled) {
      if (scope === 'admin' && req.method === 'POST' && !JSON_TYPE.test(req.headers['content-type'] ?? '')) {
        throw new UnsupportedMediaTypeException(
          `${req.method} ${req.path} needs Content-Type: application/json (so that no page elsewhere can trigger it)`,
        );
      }
      return;
    }
    if (!this.protectedScopes.has(scope)) {
      return;
    }
    const given = presentedKey(req);
    if (given === undefined || !this.matches(digest(given))) {
      throw new UnauthorizedException(`Missing or wrong ${API_KEY_HEADER} (or Authorization: Bearer) header`);
    }
  }

  private matches(given: Buffer): boolean {
    // Every key is compared, whichever matches, so the time does not say which one did.
    return this.keys.reduce((found, key) => timingSafeEqual(given, key) || found, false);
  }
}

/** The policy on Nest's routes, each with the scope it is marked with (`api` if none). */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly policy: ApiKeyPolicy;

  constructor(
    config: AppConfig,
    private readonly reflector: Reflector,
  ) {
    this.policy = new ApiKeyPolicy(config.api);
    if (!this.policy.enabled) {
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
    this.policy.enforce(context.switchToHttp().getRequest<Request>(), scope);
    return true;
  }
}

/**
 * The policy on what is mounted beside Nest's routes, out of reach of its guards (Swagger's pages and document, the
 * static files): they are the API's, behind the key with API_KEY_REQUIRED_FOR=all. Mount it on their paths, before
 * them; its 401 goes through the exception filter like the guard's.
 */
export function apiKeyMiddleware(config: AppConfig): RequestHandler {
  const policy = new ApiKeyPolicy(config.api);
  return function apiKeyCheck(req: Request, _res: Response, next: NextFunction): void {
    try {
      policy.enforce(req, 'api');
    } catch (error) {
      next(error);
      return;
    }
    next();
  };
}
