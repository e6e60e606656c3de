import type { MappingProperty, MappingTypeMapping } from '@elastic/elasticsearch/lib/api/types';
import {
  explainedEntry,
  driftEvaluation,
  predictionEntry,
  validationErrorEntry,
} from '../../test/support/log-shipping/entries';
import { INPUT_FIELDS } from '../features/features';
import {
  deadLetterDocument,
  documentsForEntry,
  driftDocuments,
  type ShippingIndexes,
} from './log-shipping.documents';
import {
  indexMappings,
  indexTemplates,
  isLungcheckMapping,
  missingProperties,
  TEMPLATE_VERSION,
} from './log-shipping.templates';

const INDEXES: ShippingIndexes = {
  logs: 'my-logs',
  message: 'my-message',
  perfs: 'my-perfs',
  topFunc: 'my-top-func',
  deadLetter: 'my-deadletter',
  drift: 'my-drift',
};

/** Dotted paths of the fields a document holds, down to where its mapping stops indexing (flattened, disabled). */
function unmappedFields(
  source: Record<string, unknown>,
  mapping: MappingTypeMapping | MappingProperty,
  prefix = '',
): string[] {
  const properties = ('properties' in mapping ? mapping.properties : undefined) ?? {};
  return Object.entries(source).flatMap(([key, value]) => {
    const property = properties[key];
    if (!property) {
      return [`${prefix}${key}`];
    }
    const type = 'type' in property ? property.type : 'object';
    const opaque = type === 'flattened' || ('enabled' in property && property.enabled === false);
    if (opaque || value === null || typeof value !== 'object') {
      return [];
    }
    const items = Array.isArray(value) ? value : [value];
    return items.flatMap((item) =>
      unmappedFields(item as Record<string, unknown>, property, `${prefix}${key}.`),
    );
  });
}

describe('log-shipping index templates', () => {
  describe(indexTemplates.name, () => {
    it('gives each configured index its own template matching exactly that name', () => {
      const templates = indexTemplates(INDEXES);
      expect(templates.map((t) => t.index_patterns)).toEqual(Object.values(INDEXES).map((name) => [name]));
      expect(new Set(templates.map((t) => t.name)).size).toBe(6);
      expect(templates.every((t) => t.template.mappings.dynamic === 'strict')).toBe(true);
    });

    it('names the template after its index, ranks it above the built-in ones and says who manages it', () => {
      const [logs] = indexTemplates(INDEXES);
      expect(logs).toMatchObject({
        name: 'lungcheck-my-logs',
        priority: 500,
        _meta: { managed_by: 'lungcheck', version: TEMPLATE_VERSION },
      });
    });
  });

  describe(indexMappings.name, () => {
    // Each test builds the mappings itself, so that the code under test runs within the test.
    const kinds = Object.keys(INDEXES) as (keyof ShippingIndexes)[];

    it('maps @timestamp as a date, ids as keywords, in every index', () => {
      const mappings = indexMappings();
      for (const kind of kinds) {
        expect(mappings[kind].properties?.['@timestamp']).toEqual({ type: 'date' });
        expect(mappings[kind].properties?.entry_id).toEqual({ type: 'keyword' });
        // A drift evaluation belongs to no request.
        expect(mappings[kind].properties?.transaction_id).toEqual(
          kind === 'drift' ? undefined : { type: 'keyword' },
        );
      }
    });

    it('maps the 15 answers of the message index as integers and top functions of perfs as nested', () => {
      const mappings = indexMappings();
      const input = mappings.message.properties?.input_data as { properties: Record<string, unknown> };
      expect(Object.keys(input.properties).sort()).toEqual([...INPUT_FIELDS].sort());
      expect(Object.values(input.properties)).toEqual(INPUT_FIELDS.map(() => ({ type: 'integer' })));
      expect(mappings.perfs.properties?.top_functions).toMatchObject({ type: 'nested' });
    });

    it('maps the log message as full text, with a keyword copy of messages up to 1024 characters', () => {
      const mappings = indexMappings();
      expect(mappings.logs.properties?.message).toEqual({
        type: 'text',
        fields: { keyword: { type: 'keyword', ignore_above: 1024 } },
      });
    });

    it('refuses unknown fields inside the answers, the result, the top functions and the dead-letter error', () => {
      const mappings = indexMappings();
      const inner = [
        mappings.message.properties?.input_data,
        mappings.message.properties?.result,
        mappings.perfs.properties?.top_functions,
        mappings.deadLetter.properties?.error,
      ];
      expect(inner.map((p) => (p as { dynamic?: string }).dynamic)).toEqual([
        'strict',
        'strict',
        'strict',
        'strict',
      ]);
      expect(mappings.message.properties?.result).toEqual({
        dynamic: 'strict',
        properties: {
          prediction: { type: 'integer' },
          probability: { type: 'float' },
          risk_level: { type: 'keyword' },
        },
      });
      expect(mappings.deadLetter.properties?.error).toEqual({
        dynamic: 'strict',
        properties: { status: { type: 'integer' }, type: { type: 'keyword' }, reason: { type: 'text' } },
      });
    });

    it('maps the explanation with plain (not nested) answer lists, so a terms aggregation counts predictions', () => {
      const mappings = indexMappings();
      const contributions = {
        dynamic: 'strict',
        properties: {
          answer: { type: 'keyword' },
          value: { type: 'integer' },
          contribution: { type: 'float' },
        },
      };
      expect(mappings.message.properties?.explanation).toEqual({
        dynamic: 'strict',
        properties: {
          method: { type: 'keyword' },
          output_scale: { type: 'keyword' },
          base_value: { type: 'float' },
          output: { type: 'float' },
          raising: contributions,
          lowering: contributions,
        },
      });
    });

    it("maps the shadow model's answer, its agreement as a boolean", () => {
      expect(indexMappings().message.properties?.shadow).toEqual({
        dynamic: 'strict',
        properties: {
          model: { type: 'keyword' },
          status: { type: 'keyword' },
          prediction: { type: 'integer' },
          probability: { type: 'float' },
          agrees: { type: 'boolean' },
        },
      });
    });

    it('keeps the refused document in the dead-letter index without indexing it', () => {
      const mappings = indexMappings();
      expect(mappings.deadLetter.properties?.document).toEqual({ type: 'object', enabled: false });
    });

    it('knows every field the documents of each index carry (the mappings are strict)', () => {
      const mappings = indexMappings();
      const entries = [
        predictionEntry(),
        predictionEntry({ data: { path: '/predict_proba' } }),
        explainedEntry(),
        explainedEntry({ data: { shadow: { model: 'random_forest', status: 'failed' } } }),
        validationErrorEntry(),
      ];
      const docs = entries.flatMap((e) => documentsForEntry(e, INDEXES));
      const first = docs[0]!;
      const reason = { status: 400, type: 'x', reason: 'y' };
      docs.push(deadLetterDocument(first, reason, INDEXES.deadLetter, new Date()));
      docs.push(...driftDocuments(driftEvaluation(), INDEXES.drift));
      docs.push(
        ...driftDocuments(
          { ...driftEvaluation(), status: 'not_enough_data', features: [], prediction: null },
          INDEXES.drift,
        ),
      );
      const kindOf = new Map(kinds.map((k) => [INDEXES[k], k]));
      expect(new Set(docs.map((d) => d.index)).size).toBe(6);
      for (const doc of docs) {
        expect({
          index: doc.index,
          unmapped: unmappedFields(doc.source, mappings[kindOf.get(doc.index)!]),
        }).toEqual({
          index: doc.index,
          unmapped: [],
        });
      }
    });
  });

  describe(isLungcheckMapping.name, () => {
    it("recognises lungcheck's strict mappings, not the reference's dynamic ones", () => {
      const mappings = indexMappings();
      expect(Object.values(mappings).every(isLungcheckMapping)).toBe(true);
      expect(isLungcheckMapping({ properties: { entry_id: { type: 'keyword' } } })).toBe(false);
      expect(
        isLungcheckMapping({ dynamic: 'strict', properties: { transaction_id: { type: 'keyword' } } }),
      ).toBe(false);
      expect(isLungcheckMapping(undefined)).toBe(false);
    });
  });

  describe(missingProperties.name, () => {
    /** The message mapping of TEMPLATE_VERSION 1, before the explanation and the shadow. */
    const versionOne = (): MappingTypeMapping => {
      const message = structuredClone(indexMappings().message);
      delete message.properties?.explanation;
      delete message.properties?.shadow;
      return message;
    };

    it('finds nothing missing from an index made with the current mappings', () => {
      const mappings = indexMappings();
      for (const mapping of Object.values(mappings)) {
        expect(missingProperties(mapping.properties, mapping.properties ?? {})).toEqual({});
      }
    });

    it('gives the explanation and the shadow to a message index made with the version 1 mapping', () => {
      const wanted = indexMappings().message.properties ?? {};
      expect(missingProperties(versionOne().properties, wanted)).toEqual({
        explanation: wanted.explanation,
        shadow: wanted.shadow,
      });
    });

    it('adds fields inside objects, restating a nested type, and leaves a field the index holds as it is', () => {
      const wanted = indexMappings().perfs.properties ?? {};
      const held = structuredClone(wanted) as Record<string, { properties?: Record<string, unknown> }>;
      delete held.top_functions?.properties?.rank;
      held.batch_size = { type: 'keyword' } as never;
      expect(missingProperties(held as never, wanted)).toEqual({
        top_functions: { type: 'nested', properties: { rank: { type: 'integer' } } },
      });
      const message = versionOne();
      delete (message.properties?.result as { properties: Record<string, unknown> }).properties.risk_level;
      expect(missingProperties(message.properties, indexMappings().message.properties ?? {})).toEqual({
        result: { properties: { risk_level: { type: 'keyword' } } },
        explanation: indexMappings().message.properties?.explanation,
        shadow: indexMappings().message.properties?.shadow,
      });
    });
  });
});
