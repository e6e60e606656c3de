import { riskLevel } from './risk-level';

describe('riskLevel', () => {
  it.each([
    [0, 'low'],
    [0.3299, 'low'],
    [0.33, 'moderate'],
    [0.6599, 'moderate'],
    [0.66, 'high'],
    [1, 'high'],
  ])('puts %d in %s', (probability, level) => {
    expect(riskLevel(probability)).toBe(level);
  });
});
