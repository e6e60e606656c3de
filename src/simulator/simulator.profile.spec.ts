import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTrainingProfile, PROFILE_FIELDS, ProfileError } from './simulator.profile';

const MODEL_DIR = join(__dirname, '../../model');
const realCard = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(MODEL_DIR, `${name}.card.json`), 'utf8')) as Record<string, unknown>;

/** A model directory of its own holding the given cards. */
function modelDir(cards: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'lungcheck-simulator-cards-'));
  for (const [name, card] of Object.entries(cards)) {
    writeFileSync(join(dir, `${name}.card.json`), typeof card === 'string' ? card : JSON.stringify(card));
  }
  return dir;
}

describe(loadTrainingProfile.name, () => {
  it("reads the default card's reference distribution without --model", () => {
    const dir = modelDir({
      first: { ...realCard('random_forest'), default: false },
      second: { ...realCard('logistic_regression'), default: true },
    });
    const profile = loadTrainingProfile(dir);
    expect(profile.cardPath).toBe(join(dir, 'second.card.json'));
    expect(profile.ageQuantiles).toHaveLength(101);
    expect(Object.keys(profile.shareOfOne).sort()).toEqual([...PROFILE_FIELDS].sort());
    expect(profile.shareOfOne.FATIGUE).toBe(0.663043);
  });

  it('reads the named card with --model', () => {
    const dir = modelDir({
      rf: { ...realCard('random_forest'), default: false },
      lr: realCard('logistic_regression'),
    });
    expect(loadTrainingProfile(dir, 'rf').cardPath).toBe(join(dir, 'rf.card.json'));
  });

  it.each([
    ['an empty directory', {}, undefined, /no model card \(\*\.card\.json\) in .+ \(--model-dir\)/],
    [
      'an unknown model',
      { lr: realCard('logistic_regression') },
      'xgboost',
      /no card .+xgboost\.card\.json.+cards there: lr\.card\.json/,
    ],
    [
      'no default card',
      { lr: { ...realCard('logistic_regression'), default: false } },
      undefined,
      /0 cards .+ "default": true/,
    ],
    ['a card that is not JSON', { lr: '{ nope' }, 'lr', /cannot read .+lr\.card\.json/],
    [
      'a card without a reference',
      { lr: { name: 'lr', default: true } },
      undefined,
      /no "reference_distribution\.inputs"/,
    ],
  ])('refuses %s with a message naming the file', (_case, cards, model, message) => {
    const dir = modelDir(cards);
    expect(() => loadTrainingProfile(dir, model)).toThrow(ProfileError);
    expect(() => loadTrainingProfile(dir, model)).toThrow(message);
  });

  it('refuses AGE percentiles that are not 101 non-decreasing numbers, and a share outside 0-1', () => {
    const card = realCard('logistic_regression') as {
      reference_distribution: { inputs: Record<string, Record<string, unknown>> };
    };
    const inputs = card.reference_distribution.inputs;
    const quantiles = inputs.AGE.quantiles as number[];
    const variants: [string, (i: typeof inputs) => void][] = [
      ['AGE.quantiles', (i) => (i.AGE.quantiles = quantiles.slice(1))],
      ['AGE.quantiles', (i) => (i.AGE.quantiles = [...quantiles.slice(0, 100), 0])],
      ['AGE.quantiles', (i) => (i.AGE.quantiles = [...quantiles.slice(0, 100), '87'])],
      ['SMOKING.proportions', (i) => (i.SMOKING.proportions = [-0.2, 1.2])],
      ['CHEST PAIN.proportions', (i) => delete i['CHEST PAIN']],
    ];
    for (const [field, spoil] of variants) {
      const spoilt = structuredClone(card);
      spoil(spoilt.reference_distribution.inputs);
      const dir = modelDir({ lr: spoilt });
      expect(() => loadTrainingProfile(dir, 'lr')).toThrow(`"reference_distribution.inputs.${field}"`);
    }
  });

  it('names the directory when it does not exist', () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'lungcheck-simulator-cards-')), 'nowhere');
    mkdirSync(join(missing, '..', 'elsewhere'));
    expect(() => loadTrainingProfile(missing)).toThrow(`no model card (*.card.json) in ${missing}`);
  });
});
