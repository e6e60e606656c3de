import type { NextFunction, Request, Response } from 'express';

const PREFIX = '/api';

/**
 * `/api/<path>` answers exactly as `/<path>` (the reference's single-port deployment exposed its API there). Rewriting
 * the URL before routing gives every route, including those of modules added later, its alias for free.
 */
export function apiAliasMiddleware(req: Request, _res: Response, next: NextFunction): void {
  const url = req.url;
  if (url.startsWith(PREFIX) && (url.length === PREFIX.length || '/?'.includes(url[PREFIX.length]))) {
    const rest = url.slice(PREFIX.length);
    req.url = rest.startsWith('/') ? rest : `/${rest}`;
  }
  next();
}
