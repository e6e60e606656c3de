import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { from, Observable, switchMap, tap } from 'rxjs';
import { requestContextOf } from '../common/request-context';
import { RequestLogService } from './request-log.service';

/**
 * Registered once for the whole app, and as thin as an interceptor can be: it leaves what the handler returned on
 * the request's context, as the entry's `result`, and runs a sampled request inside its V8 profile. The entry itself
 * is built by RequestLogService when the response ends.
 */
@Injectable()
export class RequestLogInterceptor implements NestInterceptor {
  constructor(private readonly requestLog: RequestLogService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<Request>();
    const ctx = requestContextOf(req);
    if (!ctx) {
      return next.handle();
    }
    const keepResult = tap((result: unknown) => {
      if (result !== undefined) {
        ctx.loggedResult = result;
      }
    });
    const sampling = this.requestLog.sample(req);
    return sampling
      ? from(sampling).pipe(
          switchMap(() => next.handle()),
          keepResult,
        )
      : next.handle().pipe(keepResult);
  }
}
