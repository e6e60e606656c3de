import { bulkOutcomes, classifyBulkItem, isRetryableStatus } from './bulk-outcome';

describe('bulk outcome', () => {
  describe(isRetryableStatus.name, () => {
    it.each([
      [408, true],
      [429, true],
      [500, true],
      [503, true],
      [504, true],
      [400, false],
      [404, false],
      [409, false],
    ])('%i → %s', (status, expected) => {
      expect(isRetryableStatus(status)).toBe(expected);
    });
  });

  describe(classifyBulkItem.name, () => {
    it('stores 200 and 201', () => {
      expect(classifyBulkItem({ _index: 'i', status: 201 })).toEqual({ status: 'stored' });
      expect(classifyBulkItem({ _index: 'i', status: 200 })).toEqual({ status: 'stored' });
    });

    it('retries a rejected execution (429) with its reason', () => {
      const item = {
        _index: 'i',
        status: 429,
        error: { type: 'es_rejected_execution_exception', reason: 'queue full' },
      };
      expect(classifyBulkItem(item)).toEqual({
        status: 'retry',
        reason: { status: 429, type: 'es_rejected_execution_exception', reason: 'queue full' },
      });
    });

    it('refuses a mapping error for good, with the cause in the reason', () => {
      const item = {
        _index: 'i',
        status: 400,
        error: {
          type: 'document_parsing_exception',
          reason: '[1:10] failed to parse field [AGE] of type [integer]',
          caused_by: { type: 'number_format_exception', reason: 'For input string: "old"' },
        },
      };
      expect(classifyBulkItem(item)).toEqual({
        status: 'refused',
        reason: {
          status: 400,
          type: 'document_parsing_exception',
          reason: '[1:10] failed to parse field [AGE] of type [integer]: For input string: "old"',
        },
      });
    });

    it('retries a document the response says nothing about', () => {
      expect(classifyBulkItem(undefined)).toEqual({
        status: 'retry',
        reason: { status: 0, type: 'missing_item', reason: 'no result for this document' },
      });
    });

    it('does not store a 2xx item that carries an error', () => {
      const item = { _index: 'i', status: 201, error: { type: 'weird_exception', reason: 'half done' } };
      expect(classifyBulkItem(item)).toEqual({
        status: 'refused',
        reason: { status: 201, type: 'weird_exception', reason: 'half done' },
      });
    });

    it.each([100, 300, 404])('refuses a %i item without an error, naming its status', (status) => {
      expect(classifyBulkItem({ _index: 'i', status })).toEqual({
        status: 'refused',
        reason: { status, type: 'unknown', reason: `status ${status}` },
      });
    });
  });

  describe(bulkOutcomes.name, () => {
    it('answers one outcome per document sent, retrying those missing from a short response', () => {
      const outcomes = bulkOutcomes(
        { took: 1, errors: false, items: [{ index: { _index: 'a', status: 201 } }] },
        2,
      );
      expect(outcomes.map((o) => o.status)).toEqual(['stored', 'retry']);
    });
  });
});
