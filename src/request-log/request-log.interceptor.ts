import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import { from, Observable, switchMap, tap } from 'rxjs';
import { RequestLogService } from './request-log.service';

/**
 * Registered once for the whole app: watches every routed call so that it is recorded when its response ends,
 * starts its profile, and keeps what the handler returned as the entry's `result`. Failed calls get their error
 * body from the exception filter instead.
 */
@Injectable()
export class RequestLogInterceptor implements NestInterceptor {
  constructor(private readonly requestLog: RequestLogService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') {
      return next.handle();
    }
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    if (!this.requestLog.watch(req, http.getResponse<Response>())) {
      return next.handle();
    }
    const keepResult = tap((result: unknown) => this.requestLog.noteResult(req, result));
    const sampling = this.requestLog.startProfile(req);
    return sampling
      ? from(sampling).pipe(
          switchMap(() => next.handle()),
          keepResult,
        )
      : next.handle().pipe(keepResult);
  }
}
