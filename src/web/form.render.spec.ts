import { MODELS, predictionOf } from '../../test/fixtures/form-page';
import type { AnswerContribution } from '../explanation/explanation.answers';
import type { Prediction } from '../prediction/prediction.decision';
import { BINARY_FIELDS, INPUT_FIELDS } from '../features/features';
import { Language } from './form.i18n';
import { readFormSubmission } from './form.submission';
import { buildFormPage, FormPageInput } from './form.view-model';
import { ViewEngine } from './view-engine';

const engine = new ViewEngine();

function render(input: Partial<FormPageInput> = {}): string {
  return engine.render(
    'form',
    buildFormPage({ lang: 'fr', models: MODELS, transactionId: 'tx-1', version: '1.0.0', ...input }),
  );
}

/** The page after posting `form`, as the controller renders a refused submission. */
function renderPosted(form: Record<string, string>, lang: Language = 'fr'): string {
  const submission = readFormSubmission(
    form,
    MODELS.map((m) => m.name),
  );
  return render({ lang, values: submission.values, problems: submission.ok ? [] : submission.problems });
}

const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#x27;': "'",
  '&#x60;': '`',
  '&#x3D;': '=',
};

const decode = (html: string): string =>
  html.replace(/&(amp|lt|gt|quot|#x27|#x60|#x3D);/g, (e) => ENTITIES[e]);

/** The visible text of some HTML, whitespace collapsed. */
function textOf(html: string): string {
  return decode(html.replace(/<[^>]+>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
}

const tags = (html: string, name: string): string[] => html.match(new RegExp(`<${name}\\b[^>]*>`, 'g')) ?? [];

const attr = (tag: string, name: string): string | undefined => {
  const value = new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
  return value === undefined ? undefined : decode(value);
};

/** The element with this id and its content up to its closing tag (for elements without nested same tags). */
function byId(html: string, id: string): string {
  const match = new RegExp(`<(\\w+)[^>]*\\sid="${id}"[^>]*>[\\s\\S]*?</\\1>`).exec(html);
  if (!match) {
    throw new Error(`no element #${id}`);
  }
  return match[0];
}

const EXAMPLE_FORM = {
  AGE: '65',
  GENDER: '1',
  SMOKING: 'on',
  YELLOW_FINGERS: 'on',
  COUGHING: 'on',
  'CHEST PAIN': 'on',
};

describe(`${ViewEngine.name}: the form page`, () => {
  it('labels every input, with the reference UI’s groups and labels in French', () => {
    const html = render();
    const labelled = new Set(tags(html, 'label').map((l) => attr(l, 'for')));
    const inputs = tags(html, 'input');
    expect(inputs).toHaveLength(1 + 1 + 2 + BINARY_FIELDS.length + MODELS.length);
    for (const input of inputs) {
      expect([input, labelled.has(attr(input, 'id')) || attr(input, 'aria-label') !== undefined]).toEqual([
        input,
        true,
      ]);
    }
    const text = textOf(html);
    for (const words of [
      'Informations générales',
      'Âge',
      'Genre',
      'Féminin',
      'Masculin',
      'Facteurs de risque comportementaux',
      'Fumeur',
      "Consommation d'alcool",
      'Pression des pairs',
      'Signes physiques',
      'Doigts jaunes',
      'Anxiété',
      'Fatigue chronique',
      'Allergies',
      'Symptômes respiratoires',
      'Respiration sifflante',
      'Toux persistante',
      'Essoufflement',
      'Autres symptômes',
      'Difficulté à avaler',
      'Douleur thoracique',
      'Maladie chronique',
      'Modèle',
    ]) {
      expect(text).toContain(words);
    }
  });

  it('posts every answer under the JSON API’s field names, to itself, with no validation by the browser', () => {
    const html = render();
    const names = new Set(tags(html, 'input').map((i) => attr(i, 'name')));
    expect([...INPUT_FIELDS, 'model'].every((f) => names.has(f))).toBe(true);
    const [form] = tags(html, 'form');
    expect(attr(form, 'method')).toBe('post');
    expect(attr(form, 'action')).toBe('?lang=fr#result');
    expect(form).toContain(' novalidate');
  });

  it('renders the page in English with every label translated', () => {
    const html = render({ lang: 'en' });
    expect(html).toContain('<html lang="en">');
    const text = textOf(html);
    for (const words of [
      'General information',
      'Smoker',
      'Shortness of breath',
      'Other symptoms',
      'Assess the risk',
    ]) {
      expect(text).toContain(words);
    }
    expect(text).not.toMatch(/Fumeur|Informations générales|Évaluer/);
  });

  it('preselects the default model and shows a blank form with the result placeholder', () => {
    const html = render();
    const checked = tags(html, 'input').filter((i) => / checked[\s>]/.test(i));
    expect(checked.map((i) => attr(i, 'value'))).toEqual(['logistic_regression']);
    expect(textOf(byId(html, 'result'))).toContain("Le résultat s'affichera ici");
  });

  it('leaves the age empty and required on a blank form, so a forgotten age is refused rather than guessed', () => {
    const age = tags(render(), 'input').find((i) => attr(i, 'name') === 'AGE')!;
    expect(attr(age, 'value')).toBe('');
    expect(age).toMatch(/ required[\s>]/);
  });

  it('shows the result: heading, probability, gauge, scale, model, threshold, transaction id, disclaimer', () => {
    const html = render({
      prediction: predictionOf(0.873449),
      transactionId: '6c1a2d9e-0000-4000-8000-000000000001',
    });
    const result = byId(html, 'result');
    expect(tags(html, 'section').find((s) => attr(s, 'id') === 'result')).toContain('aria-live="polite"');
    const text = textOf(result);
    expect(text).toContain('Risque de cancer du poumon : ÉLEVÉ');
    expect(text).toMatch(/87,3\s%/);
    expect(text).toContain('0% (Faible) 50% (Modéré) 100% (Élevé)');
    expect(text).toContain('Régression logistique logistic_regression@0123456789ab');
    expect(text).toMatch(/Seuil de décision 50,2\s%/);
    expect(text).toContain('6c1a2d9e-0000-4000-8000-000000000001');
    expect(text).toContain('ne remplace pas un diagnostic médical');
    expect(result).toContain('class="risk-banner risk-banner--high"');
    expect(tags(result, 'svg').some((s) => attr(s, 'x') === '87.3%')).toBe(true);
    expect(
      tags(result, 'svg').some((s) => attr(s, 'role') === 'img' && /87,3/.test(attr(s, 'aria-label') ?? '')),
    ).toBe(true);
  });

  describe('what weighs most', () => {
    const c = (answer: string, value: number, contribution: number) => ({ answer, value, contribution });
    const explained = (contributions: ReturnType<typeof c>[]): Prediction => ({
      ...predictionOf(0.873449),
      explanation: {
        method: 'linear-exact+equal-split',
        output_scale: 'log_odds',
        base_value: 1.2,
        output: 1.2 + contributions.reduce((a, x) => a + x.contribution, 0),
        contributions: contributions as AnswerContribution[],
      },
    });
    const prediction = explained([
      c('COUGHING', 1, 0.9),
      c('AGE', 72, 0.6),
      c('SMOKING', 1, 0.5),
      c('CHEST PAIN', 1, 0.25),
      c('GENDER', 0, -0.4),
      c('ALLERGY', 0, -0.3),
      c('WHEEZING', 0, -0.1),
      c('FATIGUE', 0, -0.05),
    ]);
    const drivers = (html: string): { raising: string[]; lowering: string[] } => {
      const section = /<section class="drivers"[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
      const items = (list: string): string[] =>
        (
          new RegExp(`data-${list}>([\\s\\S]*?)</ul>`).exec(section)?.[1].match(/<li[^>]*>[^<]*<\/li>/g) ?? []
        ).map(textOf);
      return { raising: items('raising'), lowering: items('lowering') };
    };

    it('names up to three answers that raised and three that lowered the risk, in French', () => {
      const html = render({ prediction });
      expect(textOf(byId(html, 'drivers-title'))).toBe('Ce qui pèse le plus');
      expect(drivers(html)).toEqual({
        raising: ['Toux persistante', 'Âge : 72 ans', 'Fumeur'],
        lowering: ['Genre : Féminin', 'Allergies : non', 'Respiration sifflante : non'],
      });
      expect(textOf(html)).toContain('pas des causes');
    });

    it('in English too', () => {
      const html = render({ lang: 'en', prediction });
      expect(textOf(byId(html, 'drivers-title'))).toBe('What weighs most');
      expect(drivers(html)).toEqual({
        raising: ['Persistent cough', 'Age: 72 years', 'Smoker'],
        lowering: ['Gender: Female', 'Allergies: no', 'Wheezing: no'],
      });
      expect(textOf(html)).toContain('not causes');
    });

    it('says so when no answer lowered it, and shows nothing without an explanation', () => {
      const html = render({ prediction: explained([c('COUGHING', 1, 0.9)]) });
      expect(drivers(html)).toEqual({ raising: ['Toux persistante'], lowering: [] });
      expect(textOf(html)).toContain('Aucune réponse ne le diminue.');
      expect(render({ prediction: predictionOf(0.873449) })).not.toContain('class="drivers"');
    });
  });

  it('keeps the answers posted and shows the ticked-boxes rule beside the boxes, in both languages', () => {
    const form = { AGE: '71', GENDER: '0', SMOKING: 'on', COUGHING: 'on' };
    const french = renderPosted(form);
    expect(textOf(byId(french, 'boxes-error'))).toMatch(
      /^Pas assez d'informations pour effectuer une prédiction .* Actuellement : 2 symptôme\(s\) coché\(s\)$/,
    );
    const checked = tags(french, 'input').filter((i) => / checked[\s>]/.test(i));
    expect(checked.map((i) => attr(i, 'id'))).toEqual([
      'f-gender-0',
      'f-smoking',
      'f-coughing',
      'f-model-logistic-regression',
    ]);
    expect(attr(tags(french, 'input').find((i) => attr(i, 'name') === 'AGE') ?? '', 'value')).toBe('71');
    expect(textOf(byId(renderPosted(form, 'en'), 'boxes-error'))).toMatch(
      /^Not enough information to make a prediction: .* Currently: 2 symptom\(s\) ticked$/,
    );
  });

  it('marks an invalid field and ties its message to it', () => {
    const html = renderPosted({ ...EXAMPLE_FORM, AGE: '150', GENDER: '' });
    const age = tags(html, 'input').find((i) => attr(i, 'name') === 'AGE') ?? '';
    expect(attr(age, 'aria-invalid')).toBe('true');
    expect(attr(age, 'aria-describedby')).toBe('f-age-hint f-age-error');
    expect(textOf(byId(html, 'f-age-error'))).toBe("L'âge doit être un nombre entier de 0 à 120 ans.");
    expect(textOf(byId(html, 'f-gender-error'))).toBe('Choisissez le genre du patient.');
    for (const radio of tags(html, 'input').filter((i) => attr(i, 'name') === 'GENDER')) {
      expect(attr(radio, 'aria-describedby')).toBe('f-gender-error');
    }
    const summary = textOf(byId(html, 'result'));
    expect(summary).toContain("Impossible d'effectuer la prédiction");
    expect(summary).not.toContain('Risque de cancer');
    expect(
      tags(html, 'p').filter((p) => p.includes('data-error-slot') && !p.includes(' hidden')),
    ).toHaveLength(2);
  });

  it('escapes whatever the visitor sent', () => {
    const attack = '"><script>alert(1)</script><img src=x onerror=alert(2)>';
    const html = renderPosted({ ...EXAMPLE_FORM, AGE: attack, model: attack });
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(textOf(html)).toContain(`Modèle inconnu « ${attack} »`);
  });

  it('needs no inline script or style and loads nothing from elsewhere (strict CSP, no internet)', () => {
    const html = render({ prediction: predictionOf(0.2) });
    expect(tags(html, 'script').every((s) => attr(s, 'src')?.startsWith('static/'))).toBe(true);
    expect(html).not.toMatch(/<style|\sstyle="|\son\w+="/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });
});
