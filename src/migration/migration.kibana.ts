import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { errorText } from '../common/error-text';
import { isPlainObject } from '../common/is-plain-object';
import type { MigrationContext } from './migration.context';
import {
  InputError,
  isDirectory,
  isFile,
  KIBANA_DIR,
  listFolder,
  ndjsonLines,
  shown,
} from './migration.files';
import type { Step } from './migration.report';

/**
 * Kibana's data views and dashboards through its saved-objects `_export` and `_import` APIs, over fetch. Files are
 * kept in Kibana's own export format (one object a line, the export details last), so Kibana's UI imports them too.
 */

export interface SavedObjectSet {
  key: 'dataviews' | 'dashboards';
  types: string[];
  /** Dashboards bring the visualisations, lenses, searches and data views they use. */
  includeReferencesDeep: boolean;
  file: string;
}

export const DATAVIEWS: SavedObjectSet = {
  key: 'dataviews',
  types: ['index-pattern'],
  includeReferencesDeep: false,
  file: 'dataviews.ndjson',
};
export const DASHBOARDS: SavedObjectSet = {
  key: 'dashboards',
  types: ['dashboard'],
  includeReferencesDeep: true,
  file: 'dashboards.ndjson',
};
const SET_FILES = [DATAVIEWS.file, DASHBOARDS.file];

/** Kibana takes a while for a large export or import; past this, the step fails rather than hang. */
const KIBANA_TIMEOUT_MS = 120_000;

interface ImportError {
  id: string;
  type: string;
  title?: string;
  meta?: { title?: string };
  error: { type: string; message?: string; references?: { type: string; id: string }[] };
}

export interface KibanaImportResponse {
  success: boolean;
  successCount: number;
  errors?: ImportError[];
}

/** Trusts a private CA for Kibana's HTTPS (fetch uses the process's default CAs). */
export async function trustCertificateAuthority(path: string): Promise<void> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (error) {
    throw new InputError(`--ca-cert: cannot read the CA certificate ${path}: ${errorText(error)}`);
  }
  setDefaultCACertificates([...getCACertificates('default'), pem]);
}

export class KibanaClient {
  private blocked?: string;

  constructor(
    readonly url: string,
    private readonly authorization: string | undefined,
    private readonly fetchFn: typeof fetch = fetch,
  ) {}

  check(): void {
    if (this.blocked) {
      throw new Error(`not attempted: ${this.blocked}`);
    }
  }

  async exportObjects(set: SavedObjectSet): Promise<string> {
    const response = await this.call('/api/saved_objects/_export', `exporting the ${set.key}`, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: set.types, includeReferencesDeep: set.includeReferencesDeep }),
    });
    return response.text();
  }

  /** Without `overwrite`, an object Kibana already has is answered as a conflict and left as it is. */
  async importObjects(ndjson: string, fileName: string, overwrite: boolean): Promise<KibanaImportResponse> {
    const form = new FormData();
    // Kibana accepts only a file whose name ends in .ndjson.
    const name = fileName.endsWith('.ndjson') ? fileName : `${fileName}.ndjson`;
    form.append('file', new Blob([ndjson], { type: 'application/ndjson' }), name);
    const path = `/api/saved_objects/_import${overwrite ? '?overwrite=true' : ''}`;
    const response = await this.call(path, `importing ${fileName}`, { body: form });
    return (await response.json()) as KibanaImportResponse;
  }

  private async call(
    path: string,
    doing: string,
    init: { headers?: Record<string, string>; body: string | FormData },
  ) {
    let response: Response;
    try {
      response = await this.fetchFn(`${this.url}${path}`, {
        method: 'POST',
        headers: {
          'kbn-xsrf': 'lungcheck-migrate',
          ...(this.authorization ? { authorization: this.authorization } : {}),
          ...init.headers,
        },
        body: init.body,
        signal: AbortSignal.timeout(KIBANA_TIMEOUT_MS),
      });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'TimeoutError') {
        throw new Error(`Kibana at ${this.url} did not answer ${doing} within ${KIBANA_TIMEOUT_MS / 1000} s`);
      }
      const cause =
        error instanceof Error && error.cause instanceof Error ? error.cause.message : errorText(error);
      this.blocked =
        `cannot reach Kibana at ${this.url} (${cause}): check --kibana-url (or --kibana-host) and that ` +
        'Kibana is running';
      throw new Error(this.blocked);
    }
    if (response.ok) {
      return response;
    }
    const text = await response.text().catch(() => '');
    let message = text.slice(0, 300);
    try {
      const body: unknown = JSON.parse(text);
      if (isPlainObject(body) && typeof body.message === 'string') {
        message = body.message;
      }
    } catch {
      // not JSON: the text as it is
    }
    const status = response.status;
    if (status === 401) {
      this.blocked =
        `Kibana at ${this.url} refused the credentials (401: ${message}): check --username/--password or ` +
        '--api-key (or ES_USERNAME/ES_PASSWORD, ES_API_KEY)';
      throw new Error(this.blocked);
    }
    if (status === 403) {
      throw new Error(
        `Kibana at ${this.url} did not allow ${doing} (403: ${message}): the user needs the Saved Objects ` +
          'Management privilege (all, to import)',
      );
    }
    throw new Error(`Kibana at ${this.url} answered ${status} to ${doing}: ${message}`);
  }
}

/** Objects by type, and the references Kibana could not find, from a file in Kibana's export format. */
export interface SavedObjectsSummary {
  objects: number;
  /** `type:id` of each object. */
  keys: string[];
  byType: Record<string, number>;
  missingReferences: string[];
}

export function summariseSavedObjects(lines: readonly unknown[]): SavedObjectsSummary {
  const summary: SavedObjectsSummary = { objects: 0, keys: [], byType: {}, missingReferences: [] };
  for (const value of lines) {
    if (!isPlainObject(value)) {
      continue;
    }
    if (value.exportedCount !== undefined) {
      const missing = Array.isArray(value.missingReferences) ? value.missingReferences : [];
      summary.missingReferences = missing.map((m) =>
        isPlainObject(m) ? `${String(m.type)} ${String(m.id)}` : '',
      );
      continue;
    }
    summary.objects += 1;
    const type = String(value.type);
    summary.keys.push(`${type}:${String(value.id)}`);
    summary.byType[type] = (summary.byType[type] ?? 0) + 1;
  }
  return summary;
}

/** Reads and checks a saved-objects file: every line an object with a type and an id, or the export details. */
export async function readSavedObjectsFile(
  file: string,
): Promise<{ text: string; summary: SavedObjectsSummary }> {
  const values: unknown[] = [];
  for await (const { line, value } of ndjsonLines(file)) {
    const isDetails = isPlainObject(value) && value.exportedCount !== undefined;
    if (
      !isDetails &&
      !(isPlainObject(value) && typeof value.type === 'string' && typeof value.id === 'string')
    ) {
      throw new InputError(
        `${shown(file)}:${line}: not a saved object (no "type" and "id"); nothing from this file was imported: ` +
          "use a file from Kibana's saved-objects export",
      );
    }
    values.push(value);
  }
  return { text: await readFile(file, 'utf8'), summary: summariseSavedObjects(values) };
}

/**
 * The files to import for a set: `--input` may be a file, a backup folder (its `kibana/`), or a folder of saved-object
 * files. A folder holding `dataviews.ndjson` or `dashboards.ndjson` gives the set's own file (or none); any other
 * folder gives every `*.ndjson` in it.
 */
export async function savedObjectFiles(input: string, set: SavedObjectSet): Promise<string[]> {
  if (await isFile(input)) {
    return [input];
  }
  if (!(await isDirectory(input))) {
    throw new InputError(
      `${shown(input)} does not exist: give a backup folder, a kibana/ folder or an .ndjson file`,
    );
  }
  const dir = (await isDirectory(join(input, KIBANA_DIR))) ? join(input, KIBANA_DIR) : input;
  const files = (await listFolder(dir)).filter((f) => f.endsWith('.ndjson'));
  if (files.includes(set.file)) {
    return [join(dir, set.file)];
  }
  return files.some((f) => SET_FILES.includes(f)) ? [] : files.map((f) => join(dir, f));
}

/** export-dataviews / export-dashboards: into `folder`, or only counted on a dry run (`folder` unset). */
export async function exportSavedObjects(
  ctx: MigrationContext,
  set: SavedObjectSet,
  folder: string | undefined,
): Promise<void> {
  await ctx.report.step('kibana', set.key, async (step) => {
    const kibana = ctx.kibana();
    kibana.check();
    const text = await kibana.exportObjects(set);
    const values = text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line, i) => {
        try {
          return JSON.parse(line) as unknown;
        } catch {
          throw new Error(
            `Kibana's export of the ${set.key} is not NDJSON (line ${i + 1}): ${line.slice(0, 120)}`,
          );
        }
      });
    const summary = summariseSavedObjects(values);
    countTypes(step, summary);
    if (summary.missingReferences.length > 0) {
      ctx.report.warn(
        `the ${set.key} refer to ${summary.missingReferences.length} object(s) Kibana does not have, not exported: ` +
          summary.missingReferences.slice(0, 10).join(', '),
      );
    }
    if (!folder) {
      step.dryRun(`would write ${KIBANA_DIR}/${set.file}`);
      return;
    }
    await writeFile(join(folder, set.file), text.endsWith('\n') ? text : `${text}\n`);
  });
}

/**
 * import-dataviews / import-dashboards. `required`: no file to import is a failure, not a skipped step.
 * `importedThisRun` carries the objects imported by an earlier step of the same command, so that the data views a
 * dashboards file holds again are not reported as left alone.
 */
export async function importSavedObjects(
  ctx: MigrationContext,
  set: SavedObjectSet,
  input: string,
  required: boolean,
  importedThisRun = new Set<string>(),
): Promise<void> {
  let files: string[];
  try {
    files = await savedObjectFiles(input, set);
  } catch (error) {
    ctx.report.fail('kibana', set.key, error);
    return;
  }
  if (files.length === 0) {
    const why = `no ${set.file} (nor other .ndjson saved-object files) in ${shown(input)}`;
    if (required) {
      ctx.report.fail('kibana', set.key, why);
    } else {
      await ctx.report.step('kibana', set.key, async (step) => step.skip(why));
    }
    return;
  }
  for (const file of files) {
    await ctx.report.step('kibana', shown(file), (step) => importFile(ctx, file, step, importedThisRun));
  }
}

async function importFile(
  ctx: MigrationContext,
  file: string,
  step: Step,
  importedThisRun: Set<string>,
): Promise<void> {
  const { text, summary } = await readSavedObjectsFile(file);
  countTypes(step, summary);
  if (ctx.options.dryRun) {
    step.dryRun(
      `would import ${summary.objects} saved object(s)${ctx.options.overwrite ? ', replacing those Kibana has' : ''}`,
    );
    return;
  }
  const kibana = ctx.kibana();
  kibana.check();
  const response = await kibana.importObjects(text, basename(file), ctx.options.overwrite);
  step.count('imported', response.successCount);
  const leftAlone: string[] = [];
  const errored = new Set((response.errors ?? []).map((e) => `${e.type}:${e.id}`));
  for (const e of response.errors ?? []) {
    const what = `${e.type} ${e.id}${(e.title ?? e.meta?.title) ? ` "${e.title ?? e.meta?.title}"` : ''}`;
    if (!isRealError(e) && importedThisRun.has(`${e.type}:${e.id}`)) {
      step.count('imported_by_an_earlier_step');
    } else if (!isRealError(e)) {
      step.count('left_alone');
      leftAlone.push(what);
    } else {
      step.count('failed');
      step.itemFailed(`${what}: ${importErrorText(e)}`);
    }
  }
  summary.keys.filter((key) => !errored.has(key)).forEach((key) => importedThisRun.add(key));
  const note =
    leftAlone.length > 0
      ? `${leftAlone.length} already in Kibana, left alone (--overwrite replaces them): ` +
        `${leftAlone.slice(0, 10).join(', ')}${leftAlone.length > 10 ? ', …' : ''}`
      : undefined;
  if (response.successCount === 0 && leftAlone.length > 0 && !(response.errors ?? []).some(isRealError)) {
    step.skip(note ?? '');
  } else {
    step.done(note);
  }
}

const isRealError = (e: ImportError): boolean =>
  e.error.type !== 'conflict' && e.error.type !== 'ambiguous_conflict';

function importErrorText(e: ImportError): string {
  if (e.error.type === 'missing_references') {
    const refs = (e.error.references ?? []).map((r) => `${r.type} ${r.id}`).join(', ');
    return `missing references (${refs}): import the data views first (import-dataviews), or export with them`;
  }
  return `${e.error.type}${e.error.message ? `: ${e.error.message}` : ''}`;
}

function countTypes(step: Step, summary: SavedObjectsSummary): void {
  for (const [type, n] of Object.entries(summary.byType)) {
    step.count(type, n);
  }
  if (summary.objects === 0) {
    step.count('objects', 0);
  }
}
