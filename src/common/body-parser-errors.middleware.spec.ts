import { BadRequestException, PayloadTooLargeException, UnsupportedMediaTypeException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { RequestValidationException } from './api-errors';
import {
  BODY_MAX_DEPTH,
  bodyDepthMiddleware,
  bodyParserErrorsMiddleware,
  bodyParserException,
  nestingDepth,
} from './body-parser-errors.middleware';

const parserError = (type: string, status: number, message: string, extra: object = {}): Error =>
  Object.assign(new SyntaxError(message), { type, status, ...extra });

describe('bodyParserException', () => {
  it('turns malformed JSON into a 422 json_invalid at the error position', () => {
    const error = bodyParserException(
      parserError('entity.parse.failed', 400, 'Expected double-quoted property name in JSON at position 11'),
    );
    expect(error).toBeInstanceOf(RequestValidationException);
    expect((error as RequestValidationException).detail).toEqual([
      {
        type: 'json_invalid',
        loc: ['body', 11],
        msg: 'JSON decode error',
        input: {},
        ctx: { error: 'Expected double-quoted property name in JSON at position 11' },
      },
    ]);
  });

  it('turns a body over the limit into a 413 naming both sizes', () => {
    const error = bodyParserException(
      parserError('entity.too.large', 413, 'request entity too large', { length: 20000, limit: 16384 }),
    );
    expect(error).toBeInstanceOf(PayloadTooLargeException);
    expect(error?.message).toBe('Request body too large: 20000 bytes, the limit is 16384 bytes');
  });

  it('says a body over the limit of unknown length is over the limit', () => {
    const error = bodyParserException(parserError('entity.too.large', 413, 'too large', { limit: 16384 }));
    expect(error?.message).toBe('Request body too large: over bytes, the limit is 16384 bytes');
  });

  it.each([
    ['charset.unsupported', 'unsupported charset "X"'],
    ['encoding.unsupported', 'unsupported content encoding "x-zip"'],
  ])('turns %s into a 415 with its message', (type, message) => {
    const error = bodyParserException(parserError(type, 415, message));
    expect(error).toBeInstanceOf(UnsupportedMediaTypeException);
    expect(error?.message).toBe(message);
  });

  it('turns a body that could not be inflated (no type, status 400) into a 400 saying so', () => {
    const error = bodyParserException(Object.assign(new Error('incorrect header check'), { status: 400 }));
    expect(error).toBeInstanceOf(BadRequestException);
    expect(error?.message).toBe('Request body could not be read: incorrect header check');
  });

  it('leaves other errors alone', () => {
    expect(bodyParserException(new Error('boom'))).toBeUndefined();
    expect(bodyParserException(parserError('stream.encoding.set', 500, 'internal'))).toBeUndefined();
    expect(bodyParserException(Object.assign(new Error('moved'), { status: 302 }))).toBeUndefined();
  });

  it.each([null, undefined, 'text', { type: 'entity.parse.failed', message: 'at position 1' }])(
    'leaves %j alone, having no HTTP status',
    (thrown) => {
      expect(bodyParserException(thrown)).toBeUndefined();
    },
  );
});

describe('bodyParserErrorsMiddleware', () => {
  const passOn = (error: unknown): unknown => {
    const next = jest.fn();
    bodyParserErrorsMiddleware(error, {} as Request, {} as Response, next);
    expect(next).toHaveBeenCalledTimes(1);
    return next.mock.calls[0][0];
  };

  it('passes a body-parser error on as the exception it means', () => {
    expect(passOn(parserError('charset.unsupported', 415, 'unsupported charset "X"'))).toBeInstanceOf(
      UnsupportedMediaTypeException,
    );
  });

  it('passes other errors on unchanged', () => {
    const error = new Error('boom');
    expect(passOn(error)).toBe(error);
  });
});

describe('bodyDepthMiddleware', () => {
  const nested = (depth: number): unknown => {
    let body: unknown = {};
    for (let i = 1; i < depth; i += 1) {
      body = { a: body };
    }
    return body;
  };
  const check = (body: unknown): unknown[] => {
    const next = jest.fn();
    bodyDepthMiddleware({ body } as Request, {} as Response, next);
    expect(next).toHaveBeenCalledTimes(1);
    return next.mock.calls[0];
  };

  it(`lets a body nested ${BODY_MAX_DEPTH} levels deep through`, () => {
    expect(check(nested(BODY_MAX_DEPTH))).toEqual([]);
  });

  it('refuses a body nested deeper with a 422 json_invalid', () => {
    const [error] = check(nested(BODY_MAX_DEPTH + 1));
    expect(error).toBeInstanceOf(RequestValidationException);
    expect((error as RequestValidationException).detail).toEqual([
      { type: 'json_invalid', loc: ['body'], msg: 'JSON nested deeper than 16 levels', input: {} },
    ]);
  });
});

describe('nestingDepth', () => {
  it.each([
    [65, 0],
    [null, 0],
    [{}, 1],
    [{ AGE: 65 }, 1],
    [{ a: [1, { b: [] }] }, 4],
    [[[], [[[]]], []], 4],
  ])('counts %j as %i levels', (value, depth) => {
    expect(nestingDepth(value, 100)).toBe(depth);
  });

  it('stops counting past the limit', () => {
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i += 1) {
      deep = [deep];
    }
    expect(nestingDepth(deep, 16)).toBe(17);
  });
});
