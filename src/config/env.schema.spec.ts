import { AppConfig } from './app-config';
import { EnvironmentVariables, InvalidConfigError, validateEnv } from './env.schema';

describe('validateEnv', () => {
  it('gives every default on an empty environment', () => {
    const env = validateEnv({});
    expect(env).toMatchObject({
      API_HOST: '0.0.0.0',
      API_PORT: 8000,
      MODEL_DIR: './model',
      MODEL_POOL_SIZE: 4,
      MODEL_ACQUIRE_TIMEOUT_MS: 30000,
      ENABLE_PERFORMANCE_MONITORING: true,
      REDIS_LOGS_MAX_SIZE: 1000,
      LOG_BUFFER_MAX: 100000,
      LOG_SHIP_INTERVAL_SECONDS: 10,
    });
    expect(env.REDIS_HOST).toBeUndefined();
  });

  it('converts strings to numbers and booleans', () => {
    const env = validateEnv({
      MODEL_POOL_SIZE: '8',
      ENABLE_PERFORMANCE_MONITORING: 'false',
      PROFILE_SAMPLE_RATE: '0.25',
    });
    expect(env.MODEL_POOL_SIZE).toBe(8);
    expect(env.ENABLE_PERFORMANCE_MONITORING).toBe(false);
    expect(env.PROFILE_SAMPLE_RATE).toBe(0.25);
  });

  it('ignores variables it does not know and empty values', () => {
    const env = validateEnv({ HOME: '/root', MODEL_PATH: '' });
    expect(env).not.toHaveProperty('HOME');
    expect(env.MODEL_PATH).toBeUndefined();
  });

  it.each([
    ['MODEL_POOL_SIZE', 'abc', 'MODEL_POOL_SIZE must be an integer from 1 to 64'],
    ['MODEL_POOL_SIZE', '0', 'MODEL_POOL_SIZE must be an integer from 1 to 64'],
    ['API_PORT', '70000', 'API_PORT must be an integer from 0 to 65535'],
    ['ENABLE_PERFORMANCE_MONITORING', 'maybe', 'ENABLE_PERFORMANCE_MONITORING must be one of true, false'],
    ['PROFILE_SAMPLE_RATE', '2', 'PROFILE_SAMPLE_RATE must be a number from 0 to 1'],
    ['ES_URL', 'localhost:9200', 'ES_URL must be an http:// or https:// URL'],
    ['ES_INDEX_LOGS', 'Bad Name', 'ES_INDEX_LOGS must be a lower-case Elasticsearch index name'],
    [
      'API_KEY',
      'short',
      'API_KEY must be one key, or several separated by commas, of at least 16 characters each',
    ],
    ['API_KEY', 'a-long-enough-key-1,short', 'API_KEY must be one key, or several separated by commas'],
    ['API_KEY_REQUIRED_FOR', 'everything', 'API_KEY_REQUIRED_FOR must be one of admin, logs, all'],
    ['CORS_ORIGINS', 'example.com', 'CORS_ORIGINS must be * or comma-separated origins'],
    ['REDIS_CLUSTER_NODES', 'a:1,b', 'REDIS_CLUSTER_NODES must be host:port pairs separated by commas'],
    [
      'ES_URL',
      'http://a:9200,ftp://b',
      'ES_URL must be an http:// or https:// URL, or several separated by commas',
    ],
    ['LOG_INPUTS', 'some', 'LOG_INPUTS must be one of full, none'],
    ['MAX_INFLIGHT_REQUESTS', '-1', 'MAX_INFLIGHT_REQUESTS must be an integer from 0 to 1000000'],
    ['ES_HOST', 'bad host', 'ES_HOST must be a host name, optionally with http:// or https:// and a port'],
    [
      'ES_HOST',
      'es:9200/path',
      'ES_HOST must be a host name, optionally with http:// or https:// and a port',
    ],
  ])('rejects %s=%j naming the variable and what it accepts', (name, value, message) => {
    expect(() => validateEnv({ [name]: value })).toThrow(InvalidConfigError);
    expect(() => validateEnv({ [name]: value })).toThrow(message);
  });

  it('never prints a rejected secret or the credentials of a rejected URL', () => {
    const message = (raw: Record<string, string>): string => {
      try {
        validateEnv(raw);
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('expected the environment to be refused');
    };
    const secret = message({ API_KEY: 'hunter2secret' });
    expect(secret).toContain('of at least 16 characters each (got a hidden value)');
    expect(secret).not.toContain('hunter2secret');
    const url = message({ REDIS_URL: 'http://admin:s3cr3t@cache:6379' });
    expect(url).toContain('"http://***@cache:6379"');
    expect(url).not.toContain('s3cr3t');
  });

  it('reports every bad variable at once', () => {
    expect(() => validateEnv({ MODEL_POOL_SIZE: 'x', API_PORT: 'y' })).toThrow(
      /MODEL_POOL_SIZE[\s\S]*API_PORT|API_PORT[\s\S]*MODEL_POOL_SIZE/,
    );
  });
});

describe(AppConfig.name, () => {
  const config = (raw: Record<string, string> = {}) => new AppConfig(validateEnv(raw));

  it('prefers PORT over API_PORT', () => {
    expect(config({ API_PORT: '9000' }).api.port).toBe(9000);
    expect(config({ API_PORT: '9000', PORT: '7000' }).api.port).toBe(7000);
  });

  it('uses the embedded stores when neither Redis nor Elasticsearch is configured', () => {
    const c = new AppConfig(new EnvironmentVariables());
    expect(c.logging.redis).toBeUndefined();
    expect(c.shipping.elasticsearch).toBeUndefined();
  });

  it('builds the Elasticsearch node from ES_HOST and ES_PORT', () => {
    expect(config({ ES_HOST: 'es', ES_PORT: '9201' }).shipping.elasticsearch?.nodes).toEqual([
      'http://es:9201',
    ]);
    expect(config({ ES_URL: 'https://es.example:9200', ES_HOST: 'x' }).shipping.elasticsearch?.nodes).toEqual(
      ['https://es.example:9200'],
    );
  });

  it('takes several Elasticsearch nodes from ES_URL', () => {
    expect(config({ ES_URL: 'http://es1:9200, http://es2:9200' }).shipping.elasticsearch?.nodes).toEqual([
      'http://es1:9200',
      'http://es2:9200',
    ]);
  });

  it.each([
    [{ ELASTICSEARCH_HOST: 'ref-es', ELASTICSEARCH_PORT: '9201' }, 'http://ref-es:9201'],
    [{ ELASTICSEARCH_HOST: 'ref-es' }, 'http://ref-es:9200'],
    [{ ES_HOST: 'es', ELASTICSEARCH_HOST: 'ref-es', ELASTICSEARCH_PORT: '9201' }, 'http://es:9200'],
  ])(
    "reads the reference's ELASTICSEARCH_HOST and ELASTICSEARCH_PORT when ES_HOST is unset: %j",
    (raw, node) => {
      expect(config(raw).shipping.elasticsearch?.nodes).toEqual([node]);
    },
  );

  it.each([
    [{ ES_HOST: 'es' }, 'http://es:9200'],
    [{ ES_HOST: 'es', ES_CA_CERT: '/certs/ca.crt' }, 'https://es:9200'],
    [{ ES_HOST: 'https://es', ES_PORT: '9243' }, 'https://es:9243'],
    [{ ES_HOST: 'http://es:9400', ES_PORT: '9243' }, 'http://es:9400'],
    [{ ES_HOST: 'https://es:443' }, 'https://es'],
  ])('takes the scheme from ES_HOST, or https with ES_CA_CERT: %j', (raw, node) => {
    expect(config(raw).shipping.elasticsearch?.nodes).toEqual([node]);
  });

  it('reads the production settings: keys, CORS, proxy, limits, timeouts, cluster nodes, consumer', () => {
    const c = config({
      API_KEY: 'a-long-enough-key-0001 , a-long-enough-key-0002',
      CORS_ORIGINS: 'https://a.example, https://b.example',
      TRUST_PROXY: '2',
      REDIS_CLUSTER_NODES: 'r1:7000, r2:7001',
      HOSTNAME: 'lungcheck-7d9f/pod 1',
      LOG_INPUTS: 'none',
    });
    expect(c.api).toMatchObject({
      apiKeys: ['a-long-enough-key-0001', 'a-long-enough-key-0002'],
      apiKeyRequiredFor: 'logs',
      corsOrigins: ['https://a.example', 'https://b.example'],
      trustProxy: 2,
      rateLimitPerMinute: 6000,
      maxInflightRequests: 512,
      shutdownTimeoutMs: 10_000,
    });
    expect(c.logging.redis?.clusterNodes).toEqual([
      { host: 'r1', port: 7000 },
      { host: 'r2', port: 7001 },
    ]);
    expect(c.logging).toMatchObject({ keepInputs: false, flushIntervalMs: 50 });
    expect(c.shipping.consumerName).toBe('lungcheck-7d9f-pod-1');
  });

  it.each([
    [undefined, false],
    ['false', false],
    ['1', 1],
    ['10.0.0.0/8, 127.0.0.1', '10.0.0.0/8, 127.0.0.1'],
  ])('takes TRUST_PROXY=%j as %j', (value, expected) => {
    expect(config(value === undefined ? {} : { TRUST_PROXY: value }).api.trustProxy).toEqual(expected);
  });

  it('allows any origin with CORS_ORIGINS=*, and none when it is unset', () => {
    expect(config({ CORS_ORIGINS: '*' }).api.corsOrigins).toBe('*');
    expect(config().api.corsOrigins).toBeUndefined();
  });

  it('names the shipping consumer of a process without HOSTNAME at random, one name per process', () => {
    const a = config().shipping.consumerName;
    expect(a).toMatch(/^lungcheck-[0-9a-f]{8}$/);
    expect(config().shipping.consumerName).not.toBe(a);
  });

  it('turns Redis on with REDIS_HOST or REDIS_URL', () => {
    expect(config({ REDIS_HOST: 'cache', REDIS_DB: '2' }).logging.redis).toMatchObject({
      host: 'cache',
      db: 2,
    });
    expect(config({ REDIS_URL: 'redis://127.0.0.1:6380/1' }).logging.redis?.url).toBe(
      'redis://127.0.0.1:6380/1',
    );
  });
});
