import { InvalidArgumentError } from 'commander';

/** Parsers of command-line values shared by the commands (commander calls them; a bad value says what it expected). */

export const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new InvalidArgumentError('expected a positive integer');
  }
  return n;
};

export const fraction = (value: string): number => {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) {
    throw new InvalidArgumentError('expected a number from 0 to 1');
  }
  return n;
};
