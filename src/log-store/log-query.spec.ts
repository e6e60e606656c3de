import { runInThisContext } from 'node:vm';
import { logEntry } from '../../test/support/request-log/log-entries';
import { hasFilters, parseEntry, parseLogQuery, queryEntries } from './log-query';

/**
 * Runs `read` with the process in another time zone. Jest gives each test file a copy of `process.env`, so the zone
 * is set on the real process, which V8 watches.
 */
function inTimeZone<T>(zone: string, read: () => T): T {
  const env = (runInThisContext('process') as NodeJS.Process).env;
  const before = env.TZ;
  env.TZ = zone;
  try {
    return read();
  } finally {
    if (before === undefined) {
      delete env.TZ;
    } else {
      env.TZ = before;
    }
  }
}

describe(parseLogQuery.name, () => {
  it('defaults to the newest 100 entries without filters', () => {
    expect(parseLogQuery({})).toEqual({ ok: true, query: { limit: 100, offset: 0 } });
  });

  it('reads every parameter, normalising level, path and since', () => {
    expect(
      parseLogQuery({
        limit: '1000',
        offset: '20',
        level: 'warning',
        path: '/api/predict',
        since: '2025-03-14T10:26:53+01:00',
      }),
    ).toEqual({
      ok: true,
      query: {
        limit: 1000,
        offset: 20,
        level: 'WARNING',
        path: '/predict',
        since: '2025-03-14T09:26:53.000Z',
      },
    });
  });

  it.each([
    ['2025-03-14', '2025-03-14T00:00:00.000Z'],
    ['2025-03-14T09:26', '2025-03-14T09:26:00.000Z'],
    ['2025-03-14 09:26:53.5', '2025-03-14T09:26:53.500Z'],
    ['2025-03-14T09:26:53Z', '2025-03-14T09:26:53.000Z'],
  ])('reads since=%s as UTC unless it says otherwise', (since, expected) => {
    expect(parseLogQuery({ since })).toEqual({ ok: true, query: { limit: 100, offset: 0, since: expected } });
  });

  it("reads since without a zone as UTC whatever the server's time zone", () => {
    const read = (since: string): unknown => inTimeZone('America/New_York', () => parseLogQuery({ since }));
    expect(read('2025-03-14T09:26')).toMatchObject({
      ok: true,
      query: { since: '2025-03-14T09:26:00.000Z' },
    });
    expect(read('2025-03-14')).toMatchObject({ ok: true, query: { since: '2025-03-14T00:00:00.000Z' } });
    expect(read('2025-03-14T09:26+01:00')).toMatchObject({
      ok: true,
      query: { since: '2025-03-14T08:26:00.000Z' },
    });
  });

  it('ignores spaces around since', () => {
    expect(parseLogQuery({ since: ' 2025-03-14T09:26:53Z ' })).toMatchObject({
      ok: true,
      query: { since: '2025-03-14T09:26:53.000Z' },
    });
  });

  it.each([
    ['/api', '/'],
    ['/api/', '/'],
    ['/predict', '/predict'],
    ['/apidocs', '/apidocs'],
  ])('reads path=%s as %s', (path, expected) => {
    expect(parseLogQuery({ path })).toEqual({ ok: true, query: { limit: 100, offset: 0, path: expected } });
  });

  it('accepts the smallest limit and offset', () => {
    expect(parseLogQuery({ limit: '1', offset: '0' })).toEqual({ ok: true, query: { limit: 1, offset: 0 } });
  });

  it('takes the last value of a repeated parameter', () => {
    expect(parseLogQuery({ limit: ['5', '7'] })).toMatchObject({ ok: true, query: { limit: 7 } });
  });

  it('reports every bad parameter at once, as FastAPI does', () => {
    const result = parseLogQuery({
      limit: '0',
      offset: 'x',
      level: 'DEBUG',
      path: 'predict',
      since: 'yesterday',
    });
    expect(result).toEqual({
      ok: false,
      detail: [
        {
          type: 'greater_than_equal',
          loc: ['query', 'limit'],
          msg: 'Input should be greater than or equal to 1',
          input: '0',
          ctx: { ge: 1 },
        },
        {
          type: 'int_parsing',
          loc: ['query', 'offset'],
          msg: 'Input should be a valid integer, unable to parse string as an integer',
          input: 'x',
        },
        {
          type: 'enum',
          loc: ['query', 'level'],
          msg: "Input should be 'INFO', 'WARNING' or 'ERROR'",
          input: 'DEBUG',
          ctx: { expected: "'INFO', 'WARNING' or 'ERROR'" },
        },
        {
          type: 'string_pattern_mismatch',
          loc: ['query', 'path'],
          msg: "String should match pattern '^/'",
          input: 'predict',
          ctx: { pattern: '^/' },
        },
        {
          type: 'datetime_parsing',
          loc: ['query', 'since'],
          msg: 'Input should be a valid datetime (ISO-8601, e.g. 2025-01-31T08:00:00Z)',
          input: 'yesterday',
        },
      ],
    });
  });

  it('says how far a limit over the maximum is allowed to go', () => {
    expect(parseLogQuery({ limit: '1001' })).toEqual({
      ok: false,
      detail: [
        {
          type: 'less_than_equal',
          loc: ['query', 'limit'],
          msg: 'Input should be less than or equal to 1000',
          input: '1001',
          ctx: { le: 1000 },
        },
      ],
    });
  });

  it('refuses values that are not text', () => {
    const result = parseLogQuery({ limit: 5, level: 1, path: 2, since: 3 });
    expect(result).toMatchObject({
      ok: false,
      detail: [
        { type: 'int_parsing', input: 5 },
        { type: 'enum', input: 1 },
        { type: 'string_pattern_mismatch', input: 2 },
        { type: 'datetime_parsing', input: 3 },
      ],
    });
  });

  it.each([
    [{ limit: '1001' }, 'less_than_equal'],
    [{ limit: '2.5' }, 'int_parsing'],
    [{ offset: '-1' }, 'greater_than_equal'],
    [{ offset: '99999999999999999999' }, 'less_than_equal'],
    [{ since: '2025-13-45' }, 'datetime_parsing'],
    [{ since: '2025-02-30' }, 'datetime_parsing'],
    [{ since: '2025-03-14T25:00' }, 'datetime_parsing'],
  ])('refuses %j', (params, type) => {
    expect(parseLogQuery(params)).toMatchObject({ ok: false, detail: [{ type }] });
  });
});

describe(hasFilters.name, () => {
  it('says whether a query filters by level, path or since', () => {
    const page = { limit: 10, offset: 0 };
    expect(hasFilters(page)).toBe(false);
    expect(hasFilters({ ...page, level: 'ERROR' })).toBe(true);
    expect(hasFilters({ ...page, path: '/predict' })).toBe(true);
    expect(hasFilters({ ...page, since: '2025-03-14T00:00:00.000Z' })).toBe(true);
  });
});

describe(parseEntry.name, () => {
  it('reads a stored entry', () => {
    const entry = logEntry();
    expect(parseEntry(JSON.stringify(entry))).toEqual(entry);
  });

  it.each(['API Call - POST /predict - Status: 200', '42', 'null', '"text"', '{"id":"0195"}', '{"data":{}}'])(
    'reads %s as no entry',
    (text) => {
      expect(parseEntry(text)).toBeUndefined();
    },
  );
});

describe(queryEntries.name, () => {
  it('skips the lines that are not entries, counting only matching entries', () => {
    const [older, newer] = [logEntry(), logEntry()];
    const lines = [JSON.stringify(newer), 'a legacy text line', JSON.stringify(older)];
    expect(queryEntries(lines, parseEntry, { limit: 1, offset: 1 })).toEqual({ total: 2, logs: [older] });
  });
});
