import type { MappingProperty, MappingTypeMapping } from '@elastic/elasticsearch/lib/api/types';
import { INPUT_FIELDS } from '../features/features';
import type { ShippingIndexes } from './log-shipping.documents';

/**
 * Explicit mappings for the five indexes, installed as composable index templates (one per index, matching exactly
 * that index name). `dynamic: strict` everywhere: a field the mapping does not know is refused with a mapping
 * error and dead-lettered, rather than silently guessed (the reference got `keyword` for numbers that way).
 * Templates apply when an index is created; to an index lungcheck created with an earlier version of its mapping,
 * ElasticsearchLogSink.prepare() adds the fields it lacks (missingProperties), which Elasticsearch allows.
 */

export interface IndexTemplate {
  name: string;
  index_patterns: string[];
  priority: number;
  template: { mappings: MappingTypeMapping };
  _meta: Record<string, unknown>;
}

/**
 * Bumped whenever a mapping changes, so `GET _index_template` shows which definition a cluster holds.
 * 2: `explanation` and `shadow` in the message index. 3: the drift index.
 */
export const TEMPLATE_VERSION = 3;

/** Above the built-in templates (priority 100 and below), so ours win for our index names. */
const TEMPLATE_PRIORITY = 500;

const keyword: MappingProperty = { type: 'keyword' };
const boolean: MappingProperty = { type: 'boolean' };
const date: MappingProperty = { type: 'date' };
const integer: MappingProperty = { type: 'integer' };
const float: MappingProperty = { type: 'float' };
/** p-values as small as 1e-300 keep their digits. */
const double: MappingProperty = { type: 'double' };
const text: MappingProperty = { type: 'text' };
/** Any JSON a client sent or an error body held, searchable as keywords without one field per key. */
const freeForm: MappingProperty = { type: 'flattened' };

const functionFields: Record<string, MappingProperty> = {
  function: keyword,
  file: keyword,
  line: integer,
  calls: integer,
  total_time_ms: float,
  cumulative_time_ms: float,
  rank: integer,
};

const strict = (properties: Record<string, MappingProperty>): MappingTypeMapping => ({
  dynamic: 'strict',
  properties,
});

/**
 * An answer's share of an explained prediction. Plain objects, not `nested`: a terms aggregation on
 * `explanation.raising.answer` then counts predictions (each document once per answer it holds).
 */
const contributions: MappingProperty = {
  dynamic: 'strict',
  properties: { answer: keyword, value: integer, contribution: float },
};

export function indexMappings(): Record<keyof ShippingIndexes, MappingTypeMapping> {
  return {
    logs: strict({
      '@timestamp': date,
      entry_id: keyword,
      level: keyword,
      message: { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 1024 } } },
      transaction_id: keyword,
      http_method: keyword,
      http_path: keyword,
      status_code: integer,
      execution_time_ms: float,
      model: keyword,
      input_data: freeForm,
      result: freeForm,
    }),
    message: strict({
      '@timestamp': date,
      entry_id: keyword,
      transaction_id: keyword,
      http_path: keyword,
      status_code: integer,
      execution_time_ms: float,
      model: keyword,
      input_data: {
        dynamic: 'strict',
        properties: Object.fromEntries(INPUT_FIELDS.map((f) => [f, integer])),
      },
      result: {
        dynamic: 'strict',
        properties: { prediction: integer, probability: float, risk_level: keyword },
      },
      explanation: {
        dynamic: 'strict',
        properties: {
          method: keyword,
          output_scale: keyword,
          base_value: float,
          output: float,
          raising: contributions,
          lowering: contributions,
        },
      },
      shadow: {
        dynamic: 'strict',
        properties: {
          model: keyword,
          status: keyword,
          prediction: integer,
          probability: float,
          agrees: boolean,
        },
      },
    }),
    perfs: strict({
      '@timestamp': date,
      entry_id: keyword,
      transaction_id: keyword,
      http_path: keyword,
      status_code: integer,
      model: keyword,
      inference_time_ms: float,
      latency_ms: float,
      cpu_time_ms: float,
      memory_mb: float,
      memory_delta_mb: float,
      function_calls: integer,
      batch_size: integer,
      top_functions: { type: 'nested', dynamic: 'strict', properties: functionFields },
    }),
    topFunc: strict({
      '@timestamp': date,
      entry_id: keyword,
      transaction_id: keyword,
      http_path: keyword,
      model: keyword,
      ...functionFields,
    }),
    drift: strict({
      '@timestamp': date,
      entry_id: keyword,
      period_start: date,
      reference_id: keyword,
      reference_kind: keyword,
      model: keyword,
      status: keyword,
      verdict: text,
      window_size: integer,
      window_from: date,
      window_to: date,
      dataset_drift: boolean,
      drifted_features: integer,
      feature: keyword,
      test: keyword,
      statistic: double,
      p_value: double,
      p_value_adjusted: double,
      psi: double,
      level: keyword,
      drifted: boolean,
      current: double,
      reference: double,
    }),
    deadLetter: strict({
      '@timestamp': date,
      entry_id: keyword,
      transaction_id: keyword,
      target_index: keyword,
      document_id: keyword,
      error: {
        dynamic: 'strict',
        properties: { status: integer, type: keyword, reason: text },
      },
      document: { type: 'object', enabled: false },
    }),
  };
}

/** One template per configured index name. */
export function indexTemplates(indexes: ShippingIndexes): IndexTemplate[] {
  const mappings = indexMappings();
  return (Object.keys(indexes) as (keyof ShippingIndexes)[]).map((kind) => ({
    name: `lungcheck-${indexes[kind]}`,
    index_patterns: [indexes[kind]],
    priority: TEMPLATE_PRIORITY,
    template: { mappings: mappings[kind] },
    _meta: { managed_by: 'lungcheck', version: TEMPLATE_VERSION },
  }));
}

/** A mapping lungcheck made: strict, with `entry_id` (the reference's indexes have neither). */
export function isLungcheckMapping(mappings: MappingTypeMapping | undefined): boolean {
  return mappings?.dynamic === 'strict' && mappings.properties?.entry_id !== undefined;
}

/**
 * The fields of `wanted` that `current` lacks, down into objects: what `PUT <index>/_mapping` adds to an index made
 * with an earlier mapping. A field both have is left as the index holds it (a changed type would need a reindex).
 */
export function missingProperties(
  current: Record<string, MappingProperty> | undefined,
  wanted: Record<string, MappingProperty>,
): Record<string, MappingProperty> {
  const missing: Record<string, MappingProperty> = {};
  for (const [name, property] of Object.entries(wanted)) {
    const held = current?.[name];
    if (held === undefined) {
      missing[name] = property;
      continue;
    }
    const inner =
      'properties' in property && property.properties
        ? missingProperties('properties' in held ? held.properties : undefined, property.properties)
        : {};
    if (Object.keys(inner).length > 0) {
      // A nested field must be restated as nested, or Elasticsearch reads the update as an object and refuses it.
      missing[name] = {
        ...('type' in property ? { type: property.type } : {}),
        properties: inner,
      } as MappingProperty;
    }
  }
  return missing;
}
