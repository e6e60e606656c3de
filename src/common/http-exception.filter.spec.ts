import { BadRequestException, NotFoundException } from '@nestjs/common';
import { RequestValidationException, TemporarilyUnavailableException } from './api-errors';
import { errorReply } from './http-exception.filter';

describe('errorReply', () => {
  it('keeps the validation problems as the 422 detail', () => {
    const detail = [{ type: 'missing', loc: ['body', 'AGE'], msg: 'Field required' }];
    expect(errorReply(new RequestValidationException(detail))).toEqual({ status: 422, detail, headers: {} });
  });

  it('answers an HttpException with its status and message', () => {
    expect(errorReply(new BadRequestException('Unknown model "x"'))).toEqual({
      status: 400,
      detail: 'Unknown model "x"',
      headers: {},
    });
    expect(errorReply(new NotFoundException('Cannot GET /nope')).detail).toBe('Cannot GET /nope');
  });

  it('adds Retry-After to a temporary unavailability', () => {
    expect(errorReply(new TemporarilyUnavailableException('busy', 3))).toEqual({
      status: 503,
      detail: 'busy',
      headers: { 'Retry-After': '3' },
    });
  });

  it('hides unexpected errors behind a bare 500', () => {
    expect(errorReply(new Error('secret internals at /srv/x.ts:12'))).toEqual({
      status: 500,
      detail: 'Internal Server Error',
      headers: {},
    });
    expect(errorReply('a thrown string').status).toBe(500);
  });
});
