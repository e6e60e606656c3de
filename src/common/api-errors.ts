import { HttpException, HttpStatus, ServiceUnavailableException } from '@nestjs/common';

/** One input problem, in the shape FastAPI (the reference) answers, so its clients keep parsing our 422s. */
export interface ValidationDetail {
  loc: (string | number)[];
  msg: string;
  type: string;
  input?: unknown;
  ctx?: Record<string, unknown>;
}

/** 422 with `{"detail":[…]}`: every problem of the request at once. */
export class RequestValidationException extends HttpException {
  constructor(readonly detail: ValidationDetail[]) {
    super({ detail }, HttpStatus.UNPROCESSABLE_ENTITY);
  }
}

/** 503 with a `Retry-After` header: the service is healthy but momentarily saturated. */
export class TemporarilyUnavailableException extends ServiceUnavailableException {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}
