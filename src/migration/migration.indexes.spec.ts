import { indexDefinition, reappliableSettings } from './migration.indexes';

describe(reappliableSettings.name, () => {
  it('keeps what another cluster accepts and drops what describes this copy of the index', () => {
    const settings = {
      index: {
        number_of_shards: '2',
        number_of_replicas: '1',
        refresh_interval: '5s',
        analysis: { analyzer: { folded: { type: 'custom' as const, tokenizer: 'standard' } } },
        uuid: 'Xy3',
        creation_date: '1737473400000',
        provided_name: 'ml-api-logs',
        version: { created: '8512000' },
        history_uuid: 'h',
        routing: { allocation: { include: { _tier_preference: 'data_content' } } },
        blocks: { write: 'true' },
        lifecycle: { name: 'logs' },
      },
    };
    expect(reappliableSettings(settings)).toEqual({
      index: {
        number_of_shards: '2',
        number_of_replicas: '1',
        refresh_interval: '5s',
        analysis: { analyzer: { folded: { type: 'custom' as const, tokenizer: 'standard' } } },
      },
    });
    expect(reappliableSettings(undefined)).toEqual({ index: {} });
  });
});

describe(indexDefinition.name, () => {
  it('holds the index name, its mappings and its re-appliable settings', () => {
    const mappings = { dynamic: 'strict' as const, properties: { a: { type: 'keyword' as const } } };
    expect(
      indexDefinition('i', { mappings, settings: { index: { uuid: 'u', number_of_shards: '1' } } }),
    ).toEqual({
      index: 'i',
      mappings,
      settings: { index: { number_of_shards: '1' } },
    });
  });
});
