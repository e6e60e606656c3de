import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { RequestValidationException, TemporarilyUnavailableException, ValidationDetail } from './api-errors';
import { currentRequest, requestContextOf } from './request-context';

/** What an error becomes on the wire: status, `detail` (FastAPI's key), extra headers. */
export interface ErrorReply {
  status: number;
  detail: string | ValidationDetail[];
  headers: Record<string, string>;
  /**
   * A body a library built on purpose (a failed health check's report), sent as it is instead of `detail`: an
   * HttpException whose response is an object without Nest's `message`.
   */
  body?: object;
}

function messageOf(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') {
    return response;
  }
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) {
    return message.join('; ');
  }
  return typeof message === 'string' ? message : exception.message;
}

/** Maps any thrown value to the reply the API promises; anything but an HttpException becomes a bare 500. */
export function errorReply(exception: unknown): ErrorReply {
  if (exception instanceof RequestValidationException) {
    return { status: exception.getStatus(), detail: exception.detail, headers: {} };
  }
  if (exception instanceof HttpException) {
    const headers: Record<string, string> =
      exception instanceof TemporarilyUnavailableException
        ? { 'Retry-After': String(exception.retryAfterSeconds) }
        : {};
    const response = exception.getResponse();
    const body = typeof response === 'object' && !('message' in response) ? response : undefined;
    return {
      status: exception.getStatus(),
      detail: messageOf(exception),
      headers,
      ...(body ? { body } : {}),
    };
  }
  return { status: HttpStatus.INTERNAL_SERVER_ERROR, detail: 'Internal Server Error', headers: {} };
}

/**
 * The one place errors become HTTP answers: `{"detail": …, "transaction_id": …}` with FastAPI's `detail` (a message,
 * or the list of input problems for 422), whatever threw it: a controller, a guard, the body parsers (translated
 * by bodyParserErrorsMiddleware), the router (404). Unexpected errors answer 500 without internals and are logged
 * with their stack; the process keeps running.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(HttpExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const reply = errorReply(exception);
    if (!(exception instanceof HttpException)) {
      const stack = exception instanceof Error ? exception.stack : String(exception);
      this.logger.error(`${req.method} ${req.originalUrl} failed: ${stack}`);
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    const ctx = currentRequest() ?? requestContextOf(req);
    const body = reply.body ?? { detail: reply.detail, transaction_id: ctx?.transactionId };
    if (ctx) {
      // The request log records the failed call with the body it was answered.
      ctx.loggedResult = body;
    }
    res.status(reply.status).set(reply.headers).json(body);
  }
}
