import { isPlainObject } from './is-plain-object';

describe(isPlainObject.name, () => {
  it.each([{}, { AGE: 65 }, Object.create(null) as object])('takes %j for an object', (value) => {
    expect(isPlainObject(value)).toBe(true);
  });

  it.each([null, undefined, [], [{}], 'text', 65, true])('refuses %j', (value) => {
    expect(isPlainObject(value)).toBe(false);
  });
});
