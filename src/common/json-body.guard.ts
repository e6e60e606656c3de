import { CanActivate, ExecutionContext, Injectable, UnsupportedMediaTypeException } from '@nestjs/common';
import type { Request } from 'express';

/**
 * 415 for a body that is not JSON on the JSON API (the HTML form posts url-encoded bodies elsewhere, so the parsers
 * accept both and each endpoint says what it takes). No body at all passes, and is reported by validation.
 */
@Injectable()
export class JsonBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    if (req.is(['application/json', 'application/*+json']) === false) {
      const got = req.headers['content-type'] ?? 'none';
      throw new UnsupportedMediaTypeException(`Content-Type must be application/json (got ${got})`);
    }
    return true;
  }
}
