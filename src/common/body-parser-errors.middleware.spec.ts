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
  const jsonError = (message: string, body: string): RequestValidationException =>
    bodyParserException(
      parserError('entity.parse.failed', 400, message, { body }),
    ) as RequestValidationException;

  it('turns malformed JSON into a 422 json_invalid at the error position, in our words', () => {
    const error = jsonError('Expected double-quoted property name in JSON at position 11', '{"AGE": 65,}');
    expect(error).toBeInstanceOf(RequestValidationException);
    expect(error.detail).toEqual([
      {
        type: 'json_invalid',
        loc: ['body', 11],
        msg: 'JSON decode error',
        input: {},
        ctx: { error: 'the body is not valid JSON (at position 11)' },
      },
    ]);
  });

  it('places JSON that ends too early at its end', () => {
    expect(jsonError('Unexpected end of JSON input', '{"AGE": 65,').detail[0]).toMatchObject({
      loc: ['body', 11],
      ctx: { error: 'the body is not valid JSON: it ends too early (at position 11)' },
    });
  });

  it('never echoes the parser, nor the body it quotes, when it gives no position', () => {
    const detail = jsonError(`Unexpected token 'x', "xyz" is not valid JSON`, 'xyz').detail[0];
    expect(detail).toMatchObject({ loc: ['body', 0], ctx: { error: 'the body is not valid JSON' } });
    expect(JSON.stringify(detail)).not.toMatch(/xyz|Unexpected/);
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
    [
      parserError('charset.unsupported', 415, 'unsupported charset "LATIN-9"', { charset: 'latin-9' }),
      `The body's charset "LATIN-9" is not supported: send UTF-8`,
    ],
    [
      parserError('encoding.unsupported', 415, 'unsupported content encoding "x-zip"', { encoding: 'x-zip' }),
      'Content-Encoding "x-zip" is not supported: send the body as it is, or compressed with gzip, deflate or br',
    ],
  ])('turns an unsupported charset or encoding into a 415 of ours', (thrown, message) => {
    const error = bodyParserException(thrown);
    expect(error).toBeInstanceOf(UnsupportedMediaTypeException);
    expect(error?.message).toBe(message);
  });

  it('turns a body that could not be decompressed (no type, status 400) into a 400 naming its encoding', () => {
    const zlib = Object.assign(new Error('incorrect header check'), { status: 400, code: 'Z_DATA_ERROR' });
    const error = bodyParserException(zlib, 'gzip');
    expect(error).toBeInstanceOf(BadRequestException);
    expect(error?.message).toBe(
      'The body does not decompress as its Content-Encoding (gzip) says: send it compressed that way, or ' +
        'without Content-Encoding',
    );
  });

  it.each([
    [parserError('request.size.invalid', 400, 'request size did not match content length'), 400],
    [parserError('request.aborted', 400, 'request aborted'), 400],
    [Object.assign(new Error('socket hang up'), { status: 400 }), 400],
    [parserError('parameters.too.many', 413, 'too many parameters'), 413],
    [parserError('querystring.parse.rangeError', 400, 'The input exceeded the depth'), 400],
  ])("answers %s in our words, not the parser's", (thrown, status) => {
    const error = bodyParserException(thrown);
    expect(error?.getStatus()).toBe(status);
    expect(error?.message).not.toContain(thrown.message);
  });

  it('leaves other errors alone', () => {
    expect(bodyParserException(new Error('boom'))).toBeUndefined();
    expect(bodyParserException(parserError('stream.encoding.set', 500, 'internal'))).toBeUndefined();
    expect(bodyParserException(Object.assign(new Error('moved'), { status: 302 }))).toBeUndefined();
    expect(bodyParserException(new BadRequestException('said already'))).toBeUndefined();
  });

  it.each([null, undefined, 'text', { type: 'entity.parse.failed', message: 'at position 1' }])(
    'leaves %j alone, having no HTTP status',
    (thrown) => {
      expect(bodyParserException(thrown)).toBeUndefined();
    },
  );
});

describe('bodyParserErrorsMiddleware', () => {
  const passOn = (error: unknown, headers: Record<string, string> = {}): unknown => {
    const next = jest.fn();
    bodyParserErrorsMiddleware(error, { headers } as Request, {} as Response, next);
    expect(next).toHaveBeenCalledTimes(1);
    return next.mock.calls[0][0];
  };

  it('passes a body-parser error on as the exception it means', () => {
    expect(passOn(parserError('charset.unsupported', 415, 'unsupported charset "X"'))).toBeInstanceOf(
      UnsupportedMediaTypeException,
    );
  });

  it("reads the request's Content-Encoding for a body that did not decompress", () => {
    const zlib = Object.assign(new Error('incorrect header check'), { status: 400 });
    expect((passOn(zlib, { 'content-encoding': ' GZIP ' }) as Error).message).toContain(
      'Content-Encoding (gzip)',
    );
    expect((passOn(zlib) as Error).message).toBe('The request body could not be read');
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
