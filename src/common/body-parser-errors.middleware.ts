import {
  BadRequestException,
  HttpException,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { RequestValidationException } from './api-errors';

/** The errors body-parser raises: http-errors, with a `type` except when the body could not be inflated. */
interface BodyParserError {
  type?: string;
  status: number;
  message: string;
  limit?: number;
  length?: number;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  const e = error as Partial<BodyParserError> | null;
  return typeof e === 'object' && e !== null && typeof e.status === 'number';
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
      return error.status >= 400 && error.status < 500
        ? new BadRequestException(`Request body could not be read: ${error.message}`)
        : undefined;
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

/** Deepest nesting accepted in a JSON body: the API takes one flat object; logging and indexing recurse over it. */
export const BODY_MAX_DEPTH = 16;

/** How deeply a parsed body nests (a scalar is 0, `{}` is 1), counted without recursion; stops past `limit`. */
export function nestingDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (typeof item !== 'object' || item === null) {
      continue;
    }
    deepest = Math.max(deepest, depth + 1);
    if (deepest > limit) {
      return deepest;
    }
    for (const child of Object.values(item)) {
      stack.push([child, depth + 1]);
    }
  }
  return deepest;
}

/** Right after the parsers: a body nested deeper than BODY_MAX_DEPTH is malformed input (422), not a crash later. */
export function bodyDepthMiddleware(req: Request, _res: Response, next: NextFunction): void {
  if (nestingDepth(req.body, BODY_MAX_DEPTH) <= BODY_MAX_DEPTH) {
    next();
    return;
  }
  next(
    new RequestValidationException([
      {
        type: 'json_invalid',
        loc: ['body'],
        msg: `JSON nested deeper than ${BODY_MAX_DEPTH} levels`,
        input: {},
      },
    ]),
  );
}
