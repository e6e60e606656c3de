import { InvalidArgumentError } from 'commander';
import { AppConfig } from '../config/app-config';
import { validateEnv } from '../config/env.schema';
import {
  DEFAULT_ES_URL,
  elasticsearchSettings,
  hostUrl,
  kibanaAuthorization,
  kibanaUrl,
  timeZone,
} from './migration.options';

const config = (env: Record<string, string> = {}): AppConfig => new AppConfig(validateEnv(env));

describe(hostUrl.name, () => {
  it("takes the reference's host:port as http, and keeps a given scheme and path", () => {
    expect(hostUrl('localhost:9200')).toBe('http://localhost:9200');
    expect(hostUrl('https://es.example:9243/')).toBe('https://es.example:9243');
    expect(hostUrl('https://proxy.example/kibana/')).toBe('https://proxy.example/kibana');
    expect(hostUrl('http://elastic:pw@es:9200')).toBe('http://elastic:pw@es:9200');
  });

  it('refuses what is not an http(s) address', () => {
    expect(() => hostUrl('ftp://x')).toThrow(InvalidArgumentError);
    expect(() => hostUrl('http://')).toThrow(/expected host:port or an http\(s\) URL/);
  });
});

describe(timeZone.name, () => {
  it('takes IANA zone names and refuses others', () => {
    expect(timeZone('Europe/Paris')).toBe('Europe/Paris');
    expect(timeZone('UTC')).toBe('UTC');
    expect(() => timeZone('Mars/Olympus')).toThrow(/not a time zone name/);
  });
});

describe(elasticsearchSettings.name, () => {
  it('uses --es-url nodes before --es-host, the configuration and the default', () => {
    const c = config({ ES_URL: 'http://configured:9200' });
    expect(elasticsearchSettings({ esUrl: 'http://a:9200,b:9201', esHost: 'c:9200' }, c).nodes).toEqual([
      'http://a:9200',
      'http://b:9201',
    ]);
    expect(elasticsearchSettings({ esHost: 'c:9200' }, c).nodes).toEqual(['http://c:9200']);
    expect(elasticsearchSettings({}, c).nodes).toEqual(['http://configured:9200']);
    expect(elasticsearchSettings({}, config()).nodes).toEqual([DEFAULT_ES_URL]);
  });

  it('replaces the configured credentials as a whole when any is given as an option', () => {
    const c = config({ ES_URL: 'http://es:9200', ES_API_KEY: 'configured-key', ES_CA_CERT: '/ca.pem' });
    expect(elasticsearchSettings({ username: 'elastic', password: 'pw' }, c)).toEqual({
      nodes: ['http://es:9200'],
      apiKey: undefined,
      username: 'elastic',
      password: 'pw',
      caCertPath: '/ca.pem',
    });
    expect(elasticsearchSettings({}, c)).toMatchObject({ apiKey: 'configured-key', username: undefined });
    expect(elasticsearchSettings({ caCert: '/other.pem' }, c).caCertPath).toBe('/other.pem');
  });
});

describe(kibanaUrl.name, () => {
  it('takes --kibana-url, else --kibana-host, else localhost:5601', () => {
    expect(kibanaUrl({ kibanaUrl: 'https://kb:5601', kibanaHost: 'x:1' })).toBe('https://kb:5601');
    expect(kibanaUrl({ kibanaHost: 'kb:5601' })).toBe('http://kb:5601');
    expect(kibanaUrl({})).toBe('http://localhost:5601');
  });
});

describe(kibanaAuthorization.name, () => {
  it("sends the cluster's API key, else basic auth, else nothing", () => {
    expect(kibanaAuthorization({ nodes: [], apiKey: 'a2V5', username: 'u' })).toBe('ApiKey a2V5');
    expect(kibanaAuthorization({ nodes: [], username: 'elastic', password: 'pw' })).toBe(
      `Basic ${Buffer.from('elastic:pw').toString('base64')}`,
    );
    expect(kibanaAuthorization({ nodes: [] })).toBeUndefined();
  });
});
