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
    ['API_KEY', 'short', 'API_KEY must be at least 16 characters'],
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
    expect(secret).toContain('API_KEY must be at least 16 characters (got a hidden value)');
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
  const config = (raw: Record<string, string>) => new AppConfig(validateEnv(raw));

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
