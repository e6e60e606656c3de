import { InvalidArgumentError } from 'commander';
import { fraction, positiveInt } from './cli-arguments';

describe(positiveInt.name, () => {
  it('takes whole numbers from 1', () => {
    expect(positiveInt('1000')).toBe(1000);
    expect(() => positiveInt('0')).toThrow(InvalidArgumentError);
    expect(() => positiveInt('2.5')).toThrow(InvalidArgumentError);
  });
});

describe(fraction.name, () => {
  it('takes numbers from 0 to 1', () => {
    expect(fraction('0')).toBe(0);
    expect(fraction('0.25')).toBe(0.25);
    expect(fraction('1')).toBe(1);
    expect(() => fraction('1.01')).toThrow('expected a number from 0 to 1');
    expect(() => fraction('x')).toThrow(InvalidArgumentError);
  });
});
