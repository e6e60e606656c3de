import { resolveTransactionId } from './transaction-id';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('resolveTransactionId', () => {
  it.each(['abc-123', 'req_1.2', 'A'.repeat(64), '550e8400-e29b-41d4-a716-446655440000'])(
    'reuses the reasonable request id %s',
    (id) => {
      expect(resolveTransactionId(id)).toBe(id);
    },
  );

  it.each([undefined, '', 'A'.repeat(65), 'has space', 'semi;colon', 'new\nline', 'é'])(
    'makes a fresh uuid4 instead of %j',
    (id) => {
      expect(resolveTransactionId(id)).toMatch(UUID);
    },
  );

  it('uses the first of repeated headers', () => {
    expect(resolveTransactionId(['first', 'second'])).toBe('first');
  });

  it('gives a different id to each request without one', () => {
    expect(resolveTransactionId(undefined)).not.toBe(resolveTransactionId(undefined));
  });
});
