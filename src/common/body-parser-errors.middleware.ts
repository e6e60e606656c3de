import {
  BadRequestException,
  HttpException,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { RequestValidationException } from './api-errors';

/** The errors body-parser raises: http-errors with a `type`. */
interface BodyParserError {
  type: string;
  status: number;
  message: string;
  limit?: number;
  length?: number;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  const e = error as Partial<BodyParserError> | null;
  return typeof e === 'object' && e !== null && typeof e.type === 'string' && typeof e.status === 'number';
}

/** What a body-parser error means to a client; undefined for anything that is not one. */
export function bodyParserException(error: unknown): HttpException | undefined {
  if (!isBodyParserError(error)) {
    return undefined;
  }
  switch (error.type) {
    case 'entity.parse.failed': {
      const position = /position (\d+)/.exec(error.message);
      return new RequestValidationException([
        {
          type: 'json_invalid',
          loc: ['body', position ? Number(position[1]) : 0],
          msg: 'JSON decode error',
          input: {},
          ctx: { error: error.message },
        },
      ]);
    }
    case 'entity.too.large':
      return new PayloadTooLargeException(
        `Request body too large: ${error.length ?? 'over'} bytes, the limit is ${error.limit} bytes`,
      );
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new UnsupportedMediaTypeException(error.message);
    default:
      return error.status >= 400 && error.status < 500 ? new BadRequestException(error.message) : undefined;
  }
}

/**
 * Express error middleware right after the body parsers: turns their errors (malformed JSON, too large, bad
 * charset) into the HttpExceptions the API promises, before Nest would reduce them to a generic 400 or 500.
 */
export function bodyParserErrorsMiddleware(
  error: unknown,
  _req: Request,
  _res: Response,
  next: NextFunction,
): void {
  next(bodyParserException(error) ?? error);
}
