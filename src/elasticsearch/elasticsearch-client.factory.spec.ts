import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ElasticsearchConfigError, elasticsearchClientOptions } from './elasticsearch-client.factory';

describe(elasticsearchClientOptions.name, () => {
  const nodes = ['https://es.example:9200'];

  it('gives the client every node', () => {
    expect(elasticsearchClientOptions({ nodes: ['http://es1:9200', 'http://es2:9200'] }).nodes).toEqual([
      'http://es1:9200',
      'http://es2:9200',
    ]);
  });

  it('uses the API key when one is set, even with a user name', () => {
    const options = elasticsearchClientOptions({
      nodes,
      apiKey: 'a2V5OnNlY3JldA==',
      username: 'elastic',
      password: 'x',
    });
    expect(options.auth).toEqual({ apiKey: 'a2V5OnNlY3JldA==' });
  });

  it('uses basic auth with a user name, and no auth at all without credentials', () => {
    expect(elasticsearchClientOptions({ nodes, username: 'elastic', password: 'changeme' }).auth).toEqual({
      username: 'elastic',
      password: 'changeme',
    });
    expect(elasticsearchClientOptions({ nodes }).auth).toBeUndefined();
  });

  it('trusts the CA read from ES_CA_CERT', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'lungcheck-ca-')), 'ca.crt');
    writeFileSync(file, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const tls = elasticsearchClientOptions({ nodes, caCertPath: file }).tls;
    expect(tls?.rejectUnauthorized).toBe(true);
    expect(String(tls?.ca)).toContain('BEGIN CERTIFICATE');
  });

  it('names ES_CA_CERT and the file when the CA cannot be read', () => {
    expect(() => elasticsearchClientOptions({ nodes, caCertPath: '/nonexistent/ca.crt' })).toThrow(
      ElasticsearchConfigError,
    );
    expect(() => elasticsearchClientOptions({ nodes, caCertPath: '/nonexistent/ca.crt' })).toThrow(
      /ES_CA_CERT: cannot read the CA certificate \/nonexistent\/ca\.crt/,
    );
  });
});
