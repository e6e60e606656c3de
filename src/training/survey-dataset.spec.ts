import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SURVEY_DATA } from '../../test/fixtures/survey-data';
import { DatasetError, loadSurveyDataset } from './survey-dataset';

const dir = mkdtempSync(join(tmpdir(), 'lungcheck-dataset-'));
const HEADER_SPACES =
  'GENDER,AGE,SMOKING,YELLOW_FINGERS,ANXIETY,PEER_PRESSURE,CHRONIC DISEASE,FATIGUE ,ALLERGY ,WHEEZING,ALCOHOL CONSUMING,COUGHING,SHORTNESS OF BREATH,SWALLOWING DIFFICULTY,CHEST PAIN,LUNG_CANCER';
const ROW_A = 'F,40,1,1,1,1,1,1,1,1,1,1,1,1,1,NO';
const ROW_B = 'M,70,2,2,2,2,2,2,2,2,2,2,2,2,2,YES';

function csv(name: string, content: string): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

describe(loadSurveyDataset.name, () => {
  it('reads the shared data set and removes its 33 exact duplicates', () => {
    const data = loadSurveyDataset(SURVEY_DATA);
    expect(data.rowsRead).toBe(309);
    expect(data.rows).toHaveLength(276);
    expect(data.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('accepts the spellings with spaces and trailing spaces, and encodes as the service does', () => {
    const data = loadSurveyDataset(csv('spaces.csv', `${HEADER_SPACES}\n${ROW_A}\n${ROW_B}\n${ROW_B}\n`));
    expect(data.rowsRead).toBe(3);
    expect(data.rows).toHaveLength(2);
    expect(data.rows[0]).toMatchObject({ label: 0, answers: { GENDER: 0, AGE: 40, SMOKING: 0, FATIGUE: 0 } });
    expect(data.rows[1]).toMatchObject({
      label: 1,
      answers: { GENDER: 1, AGE: 70, 'ALCOHOL CONSUMING': 1, 'CHRONIC DISEASE': 1, ALLERGY: 1 },
    });
  });

  it.each([
    ['empty file', '', /empty-file\.csv: line 1: the file is empty/],
    [
      'missing column',
      `${HEADER_SPACES.replace(',CHEST PAIN', '')}\n${ROW_A.replace(',1,NO', ',NO')}\n`,
      /missing-column\.csv: line 1, column "CHEST PAIN": missing column/,
    ],
    [
      'non-numeric age',
      `${HEADER_SPACES}\n${ROW_A}\n${ROW_B.replace('70', 'seventy')}\n`,
      /line 3, column "AGE"/,
    ],
    [
      'bad answer',
      `${HEADER_SPACES}\n${ROW_A.replace('F,40,1', 'F,40,3')}\n`,
      /line 2, column "SMOKING": "3" is not 1/,
    ],
    [
      'unknown label',
      `${HEADER_SPACES}\n${ROW_A.replace('NO', 'MAYBE')}\n`,
      /line 2, column "LUNG_CANCER": "MAYBE"/,
    ],
    ['header only', `${HEADER_SPACES}\n`, /line 2: no data rows/],
  ])('refuses a file with %s, naming file, line and column', (name, content, message) => {
    const file = csv(`${name.replace(/ /g, '-')}.csv`, content);
    expect(() => loadSurveyDataset(file)).toThrow(DatasetError);
    expect(() => loadSurveyDataset(file)).toThrow(message);
  });
});
