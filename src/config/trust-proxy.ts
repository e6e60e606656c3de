import { ValidateBy } from 'class-validator';
import { isIP, isIPv4 } from 'node:net';

/** Express's `trust proxy`: none, the number of proxies in front, or their addresses and subnets. */
export type TrustProxy = false | number | string;

export const TRUST_PROXY_TRUE_REFUSED =
  'TRUST_PROXY=true would let any client choose its address: set the number of proxies in front ' +
  '(1 behind one load balancer) or their addresses, e.g. 10.0.0.0/8';

const TRUST_PROXY_FORMAT =
  'TRUST_PROXY must be the number of proxies in front (1 behind one load balancer) or their addresses and ' +
  'subnets, comma-separated (e.g. 10.0.0.0/8, 127.0.0.1, loopback)';

/** The ranges Express (proxy-addr) knows by name. */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An address, a subnet (`10.0.0.0/8`, `10.0.0.0/255.0.0.0`, `fd00::/8`) or a named range, as Express takes them. */
function isProxyAddress(item: string): boolean {
  if (NAMED_RANGES.has(item)) {
    return true;
  }
  const [address, range, ...rest] = item.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) {
    return false;
  }
  if (range === undefined) {
    return true;
  }
  if (/^\d{1,3}$/.test(range)) {
    return Number(range) <= (family === 4 ? 32 : 128);
  }
  return family === 4 && isIPv4(range);
}

/**
 * Why TRUST_PROXY is refused, or undefined. `true` trusts every X-Forwarded-For entry, the left-most of which the
 * client writes itself: the rate limit and the logs would take any address a client chooses.
 */
export function trustProxyProblem(value: string): string | undefined {
  const v = value.trim().toLowerCase();
  if (v === 'true') {
    return TRUST_PROXY_TRUE_REFUSED;
  }
  if (v === 'false' || /^\d+$/.test(v)) {
    return undefined;
  }
  return v.split(',').every((item) => isProxyAddress(item.trim())) ? undefined : TRUST_PROXY_FORMAT;
}

/** The schema's rule for TRUST_PROXY, saying what to set instead. */
export const IsTrustProxy = (): PropertyDecorator =>
  ValidateBy({
    name: 'isTrustProxy',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && trustProxyProblem(value) === undefined,
      defaultMessage: (args) => trustProxyProblem(String(args?.value)) ?? TRUST_PROXY_FORMAT,
    },
  });

/** A validated TRUST_PROXY as Express takes it: unset or `false` trusts no proxy, digits are a hop count. */
export function trustProxySetting(value: string | undefined): TrustProxy {
  const v = value?.trim().toLowerCase();
  if (v === undefined || v === 'false') {
    return false;
  }
  return /^\d+$/.test(v) ? Number(v) : v;
}
