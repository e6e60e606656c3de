import { parseLogQuery } from './log-query';

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
        expect.objectContaining({ type: 'string_pattern_mismatch', loc: ['query', 'path'] }),
        expect.objectContaining({ type: 'datetime_parsing', loc: ['query', 'since'], input: 'yesterday' }),
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
