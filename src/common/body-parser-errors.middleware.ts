import {
  BadRequestException,
  HttpException,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { RequestValidationException } from './api-errors';

/**
 * The errors body-parser raises: http-errors, with a `type` except when the body could not be decompressed. Their
 * messages are the parser's or zlib's ("incorrect header check", "Unexpected token…"): none of them reaches a
 * client, which gets one of ours instead.
 */
interface BodyParserError {
  type?: string;
  status: number;
  message: string;
  limit?: number;
  length?: number;
  /** The body as far as it was read (parse errors). */
  body?: unknown;
  charset?: string;
  encoding?: string;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  const e = error as Partial<BodyParserError> | null;
  // An HttpException has a `status` too, but it already says what it means.
  return typeof e === 'object' && e !== null && typeof e.status === 'number' && !(e instanceof HttpException);
}

/** Where JSON.parse stopped, if its message says (V8 writes `at position N`, or that the input ended). */
function jsonErrorPosition(error: BodyParserError): { position: number; endedEarly: boolean } | undefined {
  const at = /\bposition (\d+)/.exec(error.message);
  if (at) {
    return { position: Number(at[1]), endedEarly: false };
  }
  if (/end of JSON input/i.test(error.message) && typeof error.body === 'string') {
    return { position: error.body.length, endedEarly: true };
  }
  return undefined;
}

/** The `json_invalid` problem of a body JSON.parse refused, in FastAPI's shape, with our words in `ctx.error`. */
function jsonInvalid(error: BodyParserError): RequestValidationException {
  const where = jsonErrorPosition(error);
  const said = !where
    ? 'the body is not valid JSON'
    : where.endedEarly
      ? `the body is not valid JSON: it ends too early (at position ${where.position})`
      : `the body is not valid JSON (at position ${where.position})`;
  return new RequestValidationException([
    {
      type: 'json_invalid',
      loc: ['body', where?.position ?? 0],
      msg: 'JSON decode error',
      input: {},
      ctx: { error: said },
    },
  ]);
}

/**
 * What a body-parser error means to a client, in our words; undefined for anything that is not one.
 * `contentEncoding` is the request's Content-Encoding, which a body that could not be decompressed failed.
 */
export function bodyParserException(error: unknown, contentEncoding?: string): HttpException | undefined {
  if (!isBodyParserError(error)) {
    return undefined;
  }
  switch (error.type) {
    case 'entity.parse.failed':
      return jsonInvalid(error);
    case 'entity.too.large':
      return new PayloadTooLargeException(
        `Request body too large: ${error.length ?? 'over'} bytes, the limit is ${error.limit} bytes`,
      );
    case 'charset.unsupported':
      return new UnsupportedMediaTypeException(
        `The body's charset ${JSON.stringify((error.charset ?? '').toUpperCase())} is not supported: send UTF-8`,
      );
    case 'encoding.unsupported':
      return new UnsupportedMediaTypeException(
        `Content-Encoding ${JSON.stringify(error.encoding ?? '')} is not supported: send the body as it is, ` +
          'or compressed with gzip, deflate or br',
      );
    case 'parameters.too.many':
      return new PayloadTooLargeException('The form sends too many fields');
    case 'querystring.parse.rangeError':
      return new BadRequestException('The form nests its field names too deeply');
    case 'request.size.invalid':
      return new BadRequestException('The body is not as long as its Content-Length says');
    case undefined:
      // The decompression stream's error, the only one body-parser passes on without a type.
      return error.status === 400 && contentEncoding !== undefined && contentEncoding !== 'identity'
        ? new BadRequestException(
            `The body does not decompress as its Content-Encoding (${contentEncoding}) says: send it ` +
              'compressed that way, or without Content-Encoding',
          )
        : unreadable(error);
    default:
      return unreadable(error);
  }
}

/** Any other client error of the parsers, without their words. */
function unreadable(error: BodyParserError): HttpException | undefined {
  return error.status >= 400 && error.status < 500
    ? new BadRequestException('The request body could not be read')
    : undefined;
}

/**
 * Express error middleware right after the body parsers: turns their errors (malformed JSON, too large, bad
 * charset or compression) into the HttpExceptions the API promises, before Nest would reduce them to a generic 400
 * or 500.
 */
export function bodyParserErrorsMiddleware(
  error: unknown,
  req: Request,
  _res: Response,
  next: NextFunction,
): void {
  const encoding = req.headers['content-encoding']?.trim().toLowerCase();
  next(bodyParserException(error, encoding) ?? error);
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
