import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTrainingProfile, ProfileError } from './simulator.profile';

const DATA = join(__dirname, '../../data/survey_lung_cancer.csv');

describe(loadTrainingProfile.name, () => {
  it('reads the de-duplicated training patients, whole, with their outcome', () => {
    const profile = loadTrainingProfile(DATA);
    expect(profile.dataFile).toBe(DATA);
    expect(profile.patients).toHaveLength(276);
    expect(profile.patients.filter((p) => p.label === 1)).toHaveLength(238);
    expect(Object.keys(profile.patients[0]!.answers)).toHaveLength(15);
  });

  it.each([
    ['a missing file', join(tmpdir(), 'no-such-survey.csv'), /cannot read the file .*\(--data\)$/],
    ['an empty file', 'empty', /the file is empty .*\(--data\)$/],
    ['a file without the answers', 'A,B\n1,2\n', /missing column .*\(--data\)$/],
  ])('refuses %s with a message naming the option', (_, file, message) => {
    let path = file;
    if (!file.includes('/')) {
      const dir = mkdtempSync(join(tmpdir(), 'profile-'));
      path = join(dir, 'survey.csv');
      writeFileSync(path, file === 'empty' ? '' : file);
    }
    expect(() => loadTrainingProfile(path)).toThrow(ProfileError);
    expect(() => loadTrainingProfile(path)).toThrow(message);
  });
});
