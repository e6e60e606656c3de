import {
  DEFAULT_LANGUAGE,
  format,
  Language,
  LANGUAGES,
  MESSAGES,
  Messages,
  resolveLanguage,
} from './form.i18n';

/** A stand-in for Express's negotiation that answers the first offered language the header lists. */
const header =
  (...accepted: string[]) =>
  (...offered: Language[]): string | false =>
    offered.find((l) => accepted.includes(l)) ?? false;

function leaves(messages: Messages, prefix = ''): [string, string][] {
  return Object.entries(messages).flatMap(([key, value]) =>
    typeof value === 'string'
      ? [[`${prefix}${key}`, value] as [string, string]]
      : leaves(value as unknown as Messages, `${prefix}${key}.`),
  );
}

describe(resolveLanguage.name, () => {
  it('uses ?lang= when it names a language of the page, whatever Accept-Language says', () => {
    expect(resolveLanguage('en', header('fr'))).toBe('en');
    expect(resolveLanguage(' EN ', header('fr'))).toBe('en');
    expect(resolveLanguage(['fr', 'en'], header('en'))).toBe('fr');
  });

  it('falls back to Accept-Language for a missing or unknown ?lang=', () => {
    expect(resolveLanguage(undefined, header('en'))).toBe('en');
    expect(resolveLanguage('de', header('en'))).toBe('en');
    expect(resolveLanguage('<script>', header('en'))).toBe('en');
  });

  it('answers French when neither matches', () => {
    expect(resolveLanguage(undefined, header('de', 'es'))).toBe('fr');
    expect(DEFAULT_LANGUAGE).toBe('fr');
  });
});

describe(format.name, () => {
  it('replaces named placeholders and leaves unknown ones visible', () => {
    expect(format('{count} of {total}', { count: 2, total: 13 })).toBe('2 of 13');
    expect(format('{count} {missing}', { count: 1 })).toBe('1 {missing}');
  });
});

describe('MESSAGES', () => {
  it('gives every string in every language, none empty, with the same placeholders', () => {
    const french = new Map(leaves(MESSAGES.fr));
    for (const lang of LANGUAGES) {
      const strings = leaves(MESSAGES[lang]);
      expect(strings.map(([key]) => key).sort()).toEqual([...french.keys()].sort());
      for (const [key, value] of strings) {
        expect(value.trim()).not.toBe('');
        const placeholders = (s: string): string[] => (s.match(/\{\w+\}/g) ?? []).sort();
        expect([key, placeholders(value)]).toEqual([key, placeholders(french.get(key) ?? '')]);
      }
    }
  });

  it("keeps the reference UI's wording of the ticked-boxes rule and the risk levels", () => {
    expect(format(MESSAGES.fr.errors.notEnoughBoxes, { min: 3, count: 2 })).toMatch(
      /^Pas assez d'informations pour effectuer une prédiction .*Actuellement : 2 symptôme\(s\) coché\(s\)$/,
    );
    expect(MESSAGES.fr.levels).toEqual({ low: 'FAIBLE', moderate: 'MODÉRÉ', high: 'ÉLEVÉ' });
    expect(MESSAGES.fr.scale).toEqual({ low: '0% (Faible)', moderate: '50% (Modéré)', high: '100% (Élevé)' });
    expect(MESSAGES.fr.disclaimer).toContain('ne remplace pas un diagnostic médical');
  });
});
