import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A small export in the layout of the reference's migration script (`backup_…/indexes/<index>_mapping.json` and
 * `<index>_documents.ndjson`, Bulk-API pairs under random ids), with the document shapes REFERENCE.md and
 * docs/compatibility.md describe: its renamed answers, YES/NO predictions, a 422 body in ml-api-message, a
 * performance line in ml-api-logs, copies of one line under two ids, `function_name` / `cumulative_time` aliases.
 * Its API host ran in Europe/Paris: 15:30 on 21 January "Z" is 14:30 UTC.
 */

export const T1 = '6f1c2a4e-0b1d-4c55-9a1e-000000000001';
export const T2 = '6f1c2a4e-0b1d-4c55-9a1e-000000000002';
export const T3 = '6f1c2a4e-0b1d-4c55-9a1e-000000000003';

const metrics = (tid: string) => ({
  inference_time_ms: 22.5,
  cpu_time_ms: 350.1,
  memory_mb: 210.4,
  memory_delta_mb: 0.3,
  function_calls: 30512,
  latency_ms: 22.5,
  top_functions: [
    {
      function: 'predict',
      file: 'model.py',
      line: 40,
      calls: 1,
      total_time_ms: 2.1,
      cumulative_time_ms: 12.5,
    },
    { function: 'run', file: 'pool.py', line: 88, calls: 1, total_time_ms: 1.2, cumulative_time_ms: 20.75 },
  ],
  transaction_id: tid,
});

const apiLine = (tid: string, status: number, at: string, path = '/api/predict') => ({
  '@timestamp': at,
  level: status === 200 ? 'INFO' : 'WARNING',
  message:
    `2025-01-21 15:30:00 - api - INFO - [${tid}] API Call - POST ${path} - Status: ${status} - Time: 57.21ms - ` +
    'Input: {"AGE": 65} - Result: {"prediction": 1}',
  transaction_id: tid,
  http_method: 'POST',
  http_path: path,
  status_code: status,
  execution_time_ms: 57.21,
  input_data: { AGE: 65, 'ALCOHOL CONSUMING': 1, SMOKING: 1 },
  result:
    status === 200 ? { prediction: 1, probability: 0.900887, message: 'Prédiction positive' } : 'refused',
  host: 'api-1',
});

export const REFERENCE_DOCUMENTS: Record<string, Record<string, unknown>[]> = {
  'ml-api-logs': [
    apiLine(T1, 200, '2025-01-21T15:30:00Z'),
    apiLine(T1, 200, '2025-01-21T15:30:00Z'),
    {
      '@timestamp': '2025-01-21T15:30:00Z',
      level: 'INFO',
      message: `2025-01-21 15:30:00 - api - INFO - ${JSON.stringify({ performance_metrics: metrics(T1) })}`,
    },
    apiLine(T2, 422, '2025-01-21T15:31:00Z'),
    {
      '@timestamp': '2025-01-21T15:32:00Z',
      level: 'INFO',
      message: JSON.stringify({ performance_metrics: metrics(T3) }),
    },
  ],
  'ml-api-message': [
    {
      transaction_id: T1,
      input_data: {
        GENDER: 1,
        AGE: 65,
        SMOKING: 1,
        YELLOW_FINGERS: 1,
        ANXIETY: 0,
        PEER_PRESSURE: 0,
        CHRONIC_DISEASE: 0,
        FATIGUE: 1,
        ALLERGY: 0,
        WHEEZING: 1,
        ALCOHOL: 1,
        COUGHING: 1,
        SHORTNESS_OF_BREATH: 1,
        SWALLOWING_DIFFICULTY: 0,
        CHEST_PAIN: 1,
      },
      result: { prediction: 'YES', probability: 0.900887, message: 'Prédiction positive' },
    },
    {
      transaction_id: T2,
      status_code: 422,
      input_data: { AGE: 150 },
      result: { detail: [{ type: 'less_than_equal' }] },
    },
  ],
  'ml-api-perfs': [{ '@timestamp': '2025-01-21T15:30:00Z', ...metrics(T1) }],
  'ml-api-top-func': [
    {
      '@timestamp': '2025-01-21T15:30:00Z',
      transaction_id: T1,
      function: 'predict',
      file: 'model.py',
      line: 40,
      calls: 1,
      total_time_ms: 2.1,
      cumulative_time_ms: 12.5,
    },
    {
      '@timestamp': '2025-01-21T15:30:00Z',
      transaction_id: T1,
      function_name: 'run',
      file: 'pool.py',
      line: 88,
      calls: 1,
      total_time_ms: 1.2,
      cumulative_time: 20.75,
    },
    {
      '@timestamp': '2025-01-21T15:30:00Z',
      transaction_id: T1,
      function: 'predict',
      file: 'model.py',
      line: 40,
      calls: 1,
      total_time_ms: 2.1,
      cumulative_time_ms: 12.5,
    },
  ],
};

/** Writes the sample under `<dir>/backup_20250121_153000/indexes/` and answers the backup folder. */
export async function writeReferenceExport(dir: string): Promise<string> {
  const backup = join(dir, 'backup_20250121_153000');
  const indexes = join(backup, 'indexes');
  await mkdir(indexes, { recursive: true });
  let n = 0;
  for (const [index, docs] of Object.entries(REFERENCE_DOCUMENTS)) {
    await writeFile(
      join(indexes, `${index}_mapping.json`),
      JSON.stringify({ [index]: { mappings: { properties: { '@timestamp': { type: 'date' } } } } }),
    );
    const lines = docs.flatMap((doc) => {
      n += 1;
      return [JSON.stringify({ index: { _index: index, _id: `rnd${n}` } }), JSON.stringify(doc)];
    });
    await writeFile(join(indexes, `${index}_documents.ndjson`), `${lines.join('\n')}\n`);
  }
  return backup;
}
