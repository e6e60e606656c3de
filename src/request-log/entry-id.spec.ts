import { uuidv7 } from './entry-id';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe(uuidv7.name, () => {
  it('produces RFC 9562 version 7 ids carrying the millisecond timestamp', () => {
    const now = Date.UTC(2025, 2, 14, 9, 26, 53, 589);
    const id = uuidv7(now + 10_000_000);
    expect(id).toMatch(UUID_V7);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(now + 10_000_000);
  });

  it('keeps ids of one millisecond, and of a clock that steps back, in creation order', () => {
    const base = Date.now() + 20_000_000;
    const ids = [...Array.from({ length: 5000 }, () => uuidv7(base)), uuidv7(base - 1000), uuidv7(base + 1)];
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    ids.forEach((id) => expect(id).toMatch(UUID_V7));
  });
});
