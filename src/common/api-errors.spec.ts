import { RequestValidationException, TemporarilyUnavailableException } from './api-errors';

describe(RequestValidationException.name, () => {
  it('is a 422 whose response is the list of problems under detail', () => {
    const detail = [{ type: 'missing', loc: ['body', 'AGE'], msg: 'Field required' }];
    const error = new RequestValidationException(detail);
    expect(error.getStatus()).toBe(422);
    expect(error.getResponse()).toEqual({ detail });
  });
});

describe(TemporarilyUnavailableException.name, () => {
  it('is a 503 that says when to retry', () => {
    const error = new TemporarilyUnavailableException('busy', 3);
    expect(error.getStatus()).toBe(503);
    expect(error.message).toBe('busy');
    expect(error.retryAfterSeconds).toBe(3);
  });
});
