import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { canonicalField, INPUT_FIELDS, InputField, SurveyAnswers } from '../features/features';

/** One de-duplicated survey row: the 15 answers in the service's encoding and the label (1 = lung cancer). */
export interface LabelledRow {
  answers: SurveyAnswers;
  label: 0 | 1;
}

export interface SurveyDataset {
  file: string;
  sha256: string;
  rowsRead: number;
  /** Rows after removing exact duplicates (first occurrence kept, original order). */
  rows: LabelledRow[];
}

/** A malformed data file: the message names the file, the line and the column. */
export class DatasetError extends Error {
  override name = 'DatasetError';
}

const LABEL_HEADER = 'LUNG_CANCER';

/**
 * Reads the survey CSV (any header spelling in circulation: spaces or underscores, trailing spaces), maps
 * GENDER M/F → 1/0, answers 1/2 → 0/1, LUNG_CANCER YES/NO → 1/0, and removes exact duplicate rows before anything
 * else sees the data (they would leak between CV folds).
 */
export function loadSurveyDataset(file: string): SurveyDataset {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new DatasetError(`${file}: cannot read the file (${(error as Error).message})`);
  }
  if (text.trim() === '') {
    throw new DatasetError(`${file}: line 1: the file is empty (expected a header and data rows)`);
  }
  let records: string[][];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: true }) as string[][];
  } catch (error) {
    throw new DatasetError(`${file}: not valid CSV (${(error as Error).message})`);
  }
  const [header, ...data] = records;
  const columnOf = new Map<InputField | typeof LABEL_HEADER, number>();
  header.forEach((name, index) => {
    const key =
      name.trim().toUpperCase().replace(/\s+/g, '_') === LABEL_HEADER ? LABEL_HEADER : canonicalField(name);
    if (key) {
      columnOf.set(key, index);
    }
  });
  for (const needed of [...INPUT_FIELDS, LABEL_HEADER] as const) {
    if (!columnOf.has(needed)) {
      throw new DatasetError(
        `${file}: line 1, column "${needed}": missing column (header: ${header.join(',')})`,
      );
    }
  }
  if (data.length === 0) {
    throw new DatasetError(`${file}: line 2: no data rows after the header`);
  }

  const seen = new Set<string>();
  const rows: LabelledRow[] = [];
  data.forEach((record, i) => {
    const line = i + 2;
    const cell = (column: InputField | typeof LABEL_HEADER): string => {
      const value = record[columnOf.get(column) as number];
      if (value === undefined) {
        throw new DatasetError(`${file}: line ${line}, column "${column}": missing value`);
      }
      return value.trim();
    };
    const fail = (column: string, value: string, expected: string): never => {
      throw new DatasetError(
        `${file}: line ${line}, column "${column}": ${JSON.stringify(value)} is not ${expected}`,
      );
    };
    const answers = {} as SurveyAnswers;
    for (const field of INPUT_FIELDS) {
      const raw = cell(field);
      if (field === 'GENDER') {
        answers.GENDER = raw === 'M' ? 1 : raw === 'F' ? 0 : fail(field, raw, 'M or F');
      } else if (field === 'AGE') {
        const age = /^\d+$/.test(raw) ? Number(raw) : NaN;
        answers.AGE = age >= 0 && age <= 120 ? age : fail(field, raw, 'an integer age from 0 to 120');
      } else {
        answers[field] = raw === '1' ? 0 : raw === '2' ? 1 : fail(field, raw, '1 (no) or 2 (yes)');
      }
    }
    const rawLabel = cell(LABEL_HEADER).toUpperCase();
    const label = rawLabel === 'YES' ? 1 : rawLabel === 'NO' ? 0 : fail(LABEL_HEADER, rawLabel, 'YES or NO');
    const key = JSON.stringify([INPUT_FIELDS.map((f) => answers[f]), label]);
    if (!seen.has(key)) {
      seen.add(key);
      rows.push({ answers, label });
    }
  });

  return {
    file,
    sha256: createHash('sha256').update(text).digest('hex'),
    rowsRead: data.length,
    rows,
  };
}
