import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import type { Request } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../config/app-config';

export const API_KEY_HEADER = 'X-API-Key';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * Protects the endpoints that change or move the logs (DELETE /logs, POST /logs/ship): with API_KEY set, the
 * `X-API-Key` header must equal it (401 otherwise); without it they stay open, as in the reference. Keys are
 * compared as digests in constant time, so neither their content nor their length leaks through timing.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly expected?: Buffer;

  constructor(config: AppConfig) {
    this.expected = config.api.apiKey === undefined ? undefined : digest(config.api.apiKey);
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.expected) {
      return true;
    }
    const given = context.switchToHttp().getRequest<Request>().headers[API_KEY_HEADER.toLowerCase()];
    if (typeof given !== 'string' || !timingSafeEqual(digest(given), this.expected)) {
      throw new UnauthorizedException(`Missing or wrong ${API_KEY_HEADER} header`);
    }
    return true;
  }
}
