import { BadRequestException, PayloadTooLargeException, UnsupportedMediaTypeException } from '@nestjs/common';
import { RequestValidationException } from './api-errors';
import { bodyParserException, nestingDepth } from './body-parser-errors.middleware';

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

  it('turns an unsupported charset into a 415', () => {
    expect(
      bodyParserException(parserError('charset.unsupported', 415, 'unsupported charset "X"')),
    ).toBeInstanceOf(UnsupportedMediaTypeException);
  });

  it('turns a body that could not be inflated (no type, status 400) into a 400 saying so', () => {
    const error = bodyParserException(Object.assign(new Error('incorrect header check'), { status: 400 }));
    expect(error).toBeInstanceOf(BadRequestException);
    expect(error?.message).toBe('Request body could not be read: incorrect header check');
  });

  it('leaves other errors alone', () => {
    expect(bodyParserException(new Error('boom'))).toBeUndefined();
    expect(bodyParserException(parserError('stream.encoding.set', 500, 'internal'))).toBeUndefined();
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
