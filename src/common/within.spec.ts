import { within } from './within';

describe(within.name, () => {
  it('gives the value of a promise that settles in time', async () => {
    expect(await within(Promise.resolve('answer'), 1000, 'late')).toBe('answer');
  });

  it('gives the fallback for a promise that rejects', async () => {
    expect(await within(Promise.reject(new Error('down')), 1000, 'fallback')).toBe('fallback');
  });

  it('gives the fallback once the time is up, without waiting for a promise that never settles', async () => {
    expect(await within(new Promise<string>(() => undefined), 20, 'fallback')).toBe('fallback');
  });
});
