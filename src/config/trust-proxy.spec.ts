import { InvalidConfigError, validateEnv } from './env.schema';
import { TRUST_PROXY_TRUE_REFUSED, trustProxyProblem, trustProxySetting } from './trust-proxy';

describe('TRUST_PROXY', () => {
  it.each(['true', 'TRUE', ' true '])('refuses %j at start-up, saying what to set instead', (value) => {
    expect(() => validateEnv({ TRUST_PROXY: value })).toThrow(InvalidConfigError);
    expect(() => validateEnv({ TRUST_PROXY: value })).toThrow(
      'TRUST_PROXY=true would let any client choose its address: set the number of proxies in front ' +
        '(1 behind one load balancer) or their addresses, e.g. 10.0.0.0/8',
    );
  });

  it.each([
    ['0', 0],
    ['1', 1],
    ['2', 2],
    ['false', false],
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['10.0.0.0/255.0.0.0', '10.0.0.0/255.0.0.0'],
    ['10.0.0.0/8, 127.0.0.1', '10.0.0.0/8, 127.0.0.1'],
    ['loopback, uniquelocal, linklocal', 'loopback, uniquelocal, linklocal'],
    ['fd00::/8,::1', 'fd00::/8,::1'],
    ['Loopback', 'loopback'],
  ])('takes %j as the proxies in front: %j', (value, expected) => {
    expect(trustProxySetting(validateEnv({ TRUST_PROXY: value }).TRUST_PROXY)).toEqual(expected);
  });

  it.each([
    'yes',
    '10.0.0.0/33',
    '::1/129',
    '10.0.0',
    'proxy.internal',
    '1, 2',
    '10.0.0.0/8/8',
    '10.0.0.0/8,',
  ])('refuses %j, naming the two forms it takes', (value) => {
    expect(trustProxyProblem(value)).toBe(
      'TRUST_PROXY must be the number of proxies in front (1 behind one load balancer) or their addresses ' +
        'and subnets, comma-separated (e.g. 10.0.0.0/8, 127.0.0.1, loopback)',
    );
    expect(() => validateEnv({ TRUST_PROXY: value })).toThrow(`(got "${value}")`);
  });

  it('trusts no proxy when unset', () => {
    expect(trustProxySetting(validateEnv({}).TRUST_PROXY)).toBe(false);
    expect(trustProxyProblem('true')).toBe(TRUST_PROXY_TRUE_REFUSED);
  });
});
