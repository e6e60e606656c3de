import type { InputField } from '../features/features';
import type { ModelCard } from '../model-pool/model-card';
import type { RiskLevel } from '../prediction/risk-level';

/** Languages of the form page; the first is the default when neither `?lang=` nor Accept-Language matches. */
export const LANGUAGES = ['fr', 'en'] as const;

export type Language = (typeof LANGUAGES)[number];

export const DEFAULT_LANGUAGE: Language = 'fr';

export function isLanguage(value: unknown): value is Language {
  return (LANGUAGES as readonly unknown[]).includes(value);
}

/**
 * `?lang=` wins when it names a language of the page; otherwise the best match of the Accept-Language header
 * (`negotiate`, Express's `req.acceptsLanguages`), otherwise French.
 */
export function resolveLanguage(
  query: unknown,
  negotiate: (...languages: Language[]) => string | false,
): Language {
  const asked = Array.isArray(query) ? query[0] : query;
  if (typeof asked === 'string' && isLanguage(asked.trim().toLowerCase())) {
    return asked.trim().toLowerCase() as Language;
  }
  const negotiated = negotiate(...LANGUAGES);
  return isLanguage(negotiated) ? negotiated : DEFAULT_LANGUAGE;
}

/** `{name}` placeholders replaced by `params` (values are plain text; templates escape them). */
export function format(message: string, params: Record<string, string | number> = {}): string {
  return message.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

const fr = {
  languageName: 'Français',
  appName: 'LungCheck',
  pageTitle: 'Évaluation du risque de cancer du poumon',
  intro:
    "Renseignez les réponses du patient au questionnaire : le modèle estime la probabilité d'un cancer du poumon " +
    'et la situe sur une échelle de risque.',
  skipToForm: 'Aller au questionnaire',
  languageNav: 'Langue de la page',
  formHeading: 'Questionnaire',
  requiredNote: 'Âge, genre et au moins 3 des 13 cases sont nécessaires.',
  groups: {
    general: 'Informations générales',
    behaviour: 'Facteurs de risque comportementaux',
    physical: 'Signes physiques',
    respiratory: 'Symptômes respiratoires',
    other: 'Autres symptômes',
    model: 'Modèle',
  },
  fields: {
    AGE: 'Âge',
    GENDER: 'Genre',
    SMOKING: 'Fumeur',
    'ALCOHOL CONSUMING': "Consommation d'alcool",
    PEER_PRESSURE: 'Pression des pairs',
    YELLOW_FINGERS: 'Doigts jaunes',
    ANXIETY: 'Anxiété',
    FATIGUE: 'Fatigue chronique',
    ALLERGY: 'Allergies',
    WHEEZING: 'Respiration sifflante',
    COUGHING: 'Toux persistante',
    'SHORTNESS OF BREATH': 'Essoufflement',
    'SWALLOWING DIFFICULTY': 'Difficulté à avaler',
    'CHEST PAIN': 'Douleur thoracique',
    'CHRONIC DISEASE': 'Maladie chronique',
  } satisfies Record<InputField, string>,
  ageUnit: 'ans',
  ageHint: 'En années, de 0 à 120.',
  ageSlider: 'Âge (curseur)',
  genders: { female: 'Féminin', male: 'Masculin' },
  boxesHint: "Cochez ce qui s'applique au patient (au moins 3 cases sur 13).",
  tickedCount: '{count} case(s) cochée(s) sur 13',
  families: {
    logistic_regression: 'Régression logistique',
    random_forest: 'Forêt aléatoire',
    gradient_boosting: 'Gradient boosting',
  } satisfies Record<ModelCard['family'], string>,
  defaultModel: 'par défaut',
  modelDetail: 'ROC-AUC {auc} · seuil {threshold}',
  submit: 'Évaluer le risque',
  clear: 'Effacer',
  resultHeading: 'Résultat',
  placeholderTitle: "Le résultat s'affichera ici",
  placeholderText: 'Remplissez le questionnaire puis choisissez « Évaluer le risque ».',
  riskHeading: 'Risque de cancer du poumon : {level}',
  levels: { low: 'FAIBLE', moderate: 'MODÉRÉ', high: 'ÉLEVÉ' } satisfies Record<RiskLevel, string>,
  probability: 'Probabilité estimée',
  gaugeLabel: 'Probabilité de {probability} sur une échelle de 0 à 100 %',
  scale: { low: '0% (Faible)', moderate: '50% (Modéré)', high: '100% (Élevé)' },
  model: 'Modèle',
  threshold: 'Seuil de décision',
  decision: 'Décision du modèle',
  decisions: {
    positive: 'Positive (probabilité ≥ seuil)',
    negative: 'Négative (probabilité < seuil)',
  },
  transactionId: 'Identifiant de transaction',
  drivers: {
    heading: 'Ce qui pèse le plus',
    raising: 'Augmente le risque',
    lowering: 'Diminue le risque',
    none: 'Aucune réponse ne le diminue.',
    answered: { yes: 'oui', no: 'non' },
    note:
      "Part de chaque réponse dans l'écart à un patient moyen des données d'entraînement ({method}). Ce sont des " +
      'associations observées dans une enquête, pas des causes.',
    methods: { log_odds: 'en log-odds', probability: 'en points de probabilité' },
  },
  disclaimerTitle: 'Usage éducatif',
  disclaimer:
    'Cette estimation statistique ne remplace pas un diagnostic médical. En cas de doute, consultez un ' +
    'professionnel de santé.',
  errorSummaryTitle: "Impossible d'effectuer la prédiction",
  errorSummaryIntro: 'Corrigez les points suivants :',
  errorTitlePrefix: 'Erreur',
  errors: {
    notEnoughBoxes:
      "Pas assez d'informations pour effectuer une prédiction : cochez au moins {min} cases parmi les facteurs de " +
      'risque et les symptômes. Actuellement : {count} symptôme(s) coché(s)',
    ageRequired: "Indiquez l'âge du patient.",
    ageInvalid: "L'âge doit être un nombre entier de 0 à 120 ans.",
    genderRequired: 'Choisissez le genre du patient.',
    genderInvalid: 'Le genre doit être Féminin ou Masculin.',
    boxInvalid: 'Valeur invalide : une case est soit cochée, soit non cochée.',
    modelUnknown: 'Modèle inconnu « {name} ». Modèles disponibles : {available}.',
    formInvalid: 'Le formulaire envoyé est illisible ; rechargez la page et recommencez.',
    busy: 'Le service est momentanément saturé. Réessayez dans quelques secondes.',
    internal:
      "Une erreur interne est survenue. Réessayez ; si elle persiste, communiquez l'identifiant {id}.",
  },
  footerDocs: "Documentation de l'API",
};

export type Messages = typeof fr;

const en: Messages = {
  languageName: 'English',
  appName: 'LungCheck',
  pageTitle: 'Lung cancer risk assessment',
  intro:
    "Enter the patient's answers to the survey: the model estimates the probability of lung cancer and places it " +
    'on a risk scale.',
  skipToForm: 'Skip to the survey',
  languageNav: 'Page language',
  formHeading: 'Survey',
  requiredNote: 'Age, gender and at least 3 of the 13 boxes are needed.',
  groups: {
    general: 'General information',
    behaviour: 'Behavioural risk factors',
    physical: 'Physical signs',
    respiratory: 'Respiratory symptoms',
    other: 'Other symptoms',
    model: 'Model',
  },
  fields: {
    AGE: 'Age',
    GENDER: 'Gender',
    SMOKING: 'Smoker',
    'ALCOHOL CONSUMING': 'Alcohol consumption',
    PEER_PRESSURE: 'Peer pressure',
    YELLOW_FINGERS: 'Yellow fingers',
    ANXIETY: 'Anxiety',
    FATIGUE: 'Chronic fatigue',
    ALLERGY: 'Allergies',
    WHEEZING: 'Wheezing',
    COUGHING: 'Persistent cough',
    'SHORTNESS OF BREATH': 'Shortness of breath',
    'SWALLOWING DIFFICULTY': 'Difficulty swallowing',
    'CHEST PAIN': 'Chest pain',
    'CHRONIC DISEASE': 'Chronic disease',
  },
  ageUnit: 'years',
  ageHint: 'In years, from 0 to 120.',
  ageSlider: 'Age (slider)',
  genders: { female: 'Female', male: 'Male' },
  boxesHint: 'Tick what applies to the patient (at least 3 of the 13 boxes).',
  tickedCount: '{count} of 13 boxes ticked',
  families: {
    logistic_regression: 'Logistic regression',
    random_forest: 'Random forest',
    gradient_boosting: 'Gradient boosting',
  },
  defaultModel: 'default',
  modelDetail: 'ROC-AUC {auc} · threshold {threshold}',
  submit: 'Assess the risk',
  clear: 'Clear',
  resultHeading: 'Result',
  placeholderTitle: 'The result will appear here',
  placeholderText: 'Fill in the survey, then choose “Assess the risk”.',
  riskHeading: 'Lung cancer risk: {level}',
  levels: { low: 'LOW', moderate: 'MODERATE', high: 'HIGH' },
  probability: 'Estimated probability',
  gaugeLabel: 'Probability of {probability} on a scale from 0 to 100%',
  scale: { low: '0% (Low)', moderate: '50% (Moderate)', high: '100% (High)' },
  model: 'Model',
  threshold: 'Decision threshold',
  decision: 'Model decision',
  decisions: {
    positive: 'Positive (probability ≥ threshold)',
    negative: 'Negative (probability < threshold)',
  },
  transactionId: 'Transaction id',
  drivers: {
    heading: 'What weighs most',
    raising: 'Raises the risk',
    lowering: 'Lowers the risk',
    none: 'No answer lowers it.',
    answered: { yes: 'yes', no: 'no' },
    note:
      "Each answer's share of the gap from an average patient of the training data ({method}). These are " +
      'associations seen in a survey, not causes.',
    methods: { log_odds: 'in log-odds', probability: 'in probability points' },
  },
  disclaimerTitle: 'Educational use',
  disclaimer:
    'This statistical estimate does not replace a medical diagnosis. If in doubt, consult a health professional.',
  errorSummaryTitle: 'The prediction could not be made',
  errorSummaryIntro: 'Please correct the following:',
  errorTitlePrefix: 'Error',
  errors: {
    notEnoughBoxes:
      'Not enough information to make a prediction: tick at least {min} boxes among the risk factors and ' +
      'symptoms. Currently: {count} symptom(s) ticked',
    ageRequired: "Enter the patient's age.",
    ageInvalid: 'Age must be a whole number from 0 to 120 years.',
    genderRequired: "Choose the patient's gender.",
    genderInvalid: 'Gender must be Female or Male.',
    boxInvalid: 'Invalid value: a box is either ticked or not ticked.',
    modelUnknown: 'Unknown model “{name}”. Available models: {available}.',
    formInvalid: 'The form sent could not be read; reload the page and try again.',
    busy: 'The service is momentarily saturated. Try again in a few seconds.',
    internal: 'An internal error occurred. Try again; if it persists, quote the id {id}.',
  },
  footerDocs: 'API documentation',
};

export const MESSAGES: Readonly<Record<Language, Messages>> = { fr, en };

/** Locale for numbers: `87,3 %` in French, `87.3%` in English. */
export const LOCALES: Readonly<Record<Language, string>> = { fr: 'fr-FR', en: 'en-GB' };

export type ErrorKey = keyof Messages['errors'];
