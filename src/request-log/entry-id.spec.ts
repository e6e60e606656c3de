import { uuidv7Generator } from './entry-id';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe(uuidv7Generator.name, () => {
  it('produces RFC 9562 version 7 ids carrying the millisecond timestamp', () => {
    const now = Date.UTC(2025, 2, 14, 9, 26, 53, 589);
    const id = uuidv7Generator()(now);
    expect(id).toMatch(UUID_V7);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(now);
  });

  it('keeps ids of one millisecond, and of a clock that steps back, in creation order', () => {
    const next = uuidv7Generator();
    const base = Date.UTC(2025, 2, 14);
    const ids = [...Array.from({ length: 5000 }, () => next(base)), next(base - 1000), next(base + 1)];
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    ids.forEach((id) => expect(id).toMatch(UUID_V7));
    // 4096 ids per millisecond: the 4097th moves on to the next millisecond rather than wrapping.
    expect(parseInt(ids[4095]!.replace(/-/g, '').slice(0, 12), 16)).toBe(base);
    expect(ids[4095]!.slice(14, 18)).toBe('7fff');
    expect(parseInt(ids[4096]!.replace(/-/g, '').slice(0, 12), 16)).toBe(base + 1);
  });

  it('makes different ids in different generators at the same millisecond', () => {
    const now = Date.UTC(2025, 2, 14);
    const ids = Array.from({ length: 10 }, () => uuidv7Generator()(now));
    expect(new Set(ids).size).toBe(10);
  });

  it('gives each generator its own clock state', () => {
    uuidv7Generator()(Date.UTC(2030, 0, 1));
    const id = uuidv7Generator()(Date.UTC(2025, 0, 1));
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(Date.UTC(2025, 0, 1));
  });
});
