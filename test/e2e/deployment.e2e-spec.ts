import type { NestExpressApplication } from '@nestjs/platform-express';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import request from 'supertest';
import { parse, parseAllDocuments } from 'yaml';
import { AppConfig } from '../../src/config/app-config';
import { ENV_DOCS } from '../../src/config/env.docs';
import { validateEnv } from '../../src/config/env.schema';
import type { ShippingIndexes } from '../../src/log-shipping/log-shipping.documents';
import { indexMappings } from '../../src/log-shipping/log-shipping.templates';
import { close, createTestApp, ROOT } from './support/test-app';

/**
 * The deployment files (Dockerfile, docker-compose.yml, deploy/kubernetes, kibana/) checked against the code they
 * deploy: no Docker engine, cluster or Kibana is needed, only the files and the service itself.
 */

type Json = Record<string, unknown>;

const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
const exists = (path: string): boolean => existsSync(join(ROOT, path));
const asObject = (value: unknown): Json => (value && typeof value === 'object' ? (value as Json) : {});
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** Every environment variable the service reads (the schema and ENV_DOCS have the same keys: env.docs.spec.ts). */
const KNOWN_ENV = new Set(Object.keys(ENV_DOCS));
const SECRET_ENV = new Set(
  Object.entries(ENV_DOCS)
    .filter(([, doc]) => doc.secret)
    .map(([name]) => name),
);
const DEFAULTS = validateEnv({});

// ---------------------------------------------------------------------------------------------------------------
// Dockerfile and .dockerignore

interface Instruction {
  stage: number;
  keyword: string;
  args: string;
}

/** Instructions with their stage index, continuation lines joined and comments dropped. */
function dockerfile(): Instruction[] {
  const text = read('Dockerfile')
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ');
  let stage = -1;
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      if (keyword.toUpperCase() === 'FROM') {
        stage += 1;
      }
      return { stage, keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

/** `COPY [--flags] <src>... <dest>` (shell or JSON form). */
function copies(): { stage: number; from?: string; sources: string[]; dest: string }[] {
  return dockerfile()
    .filter((i) => i.keyword === 'COPY')
    .map((i) => {
      const words = i.args.trim().startsWith('[')
        ? (JSON.parse(i.args) as string[])
        : i.args.split(/\s+/).filter((w) => w !== '');
      const flags = words.filter((w) => w.startsWith('--'));
      const paths = words.filter((w) => !w.startsWith('--'));
      const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
      return { stage: i.stage, from, sources: paths.slice(0, -1), dest: paths[paths.length - 1] ?? '' };
    });
}

const lastStage = (): number => Math.max(...dockerfile().map((i) => i.stage));

/** A .dockerignore pattern as a regular expression over context-relative paths (Go filepath.Match plus `**`). */
function globRegExp(pattern: string): RegExp {
  const source = pattern
    .replace(/^\/+|\/+$/g, '')
    .split('')
    .map((c, i, all) => {
      if (c === '*') {
        return all[i + 1] === '*' ? '' : all[i - 1] === '*' ? '.*' : '[^/]*';
      }
      return c === '?' ? '[^/]' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${source}$`);
}

/** Docker's rule: the last pattern matching the path or one of its parent directories decides. */
function dockerignored(path: string): boolean {
  const patterns = read('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const prefixes = path.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const raw of patterns) {
    const exception = raw.startsWith('!');
    const regexp = globRegExp(posix.normalize(exception ? raw.slice(1) : raw));
    if (prefixes.some((p) => regexp.test(p))) {
      ignored = !exception;
    }
  }
  return ignored;
}

// ---------------------------------------------------------------------------------------------------------------
// TypeScript build: where a compiled file comes from

const buildConfig = (): { rootDir: string; outDir: string; include: string[]; exclude: string[] } => {
  const build = JSON.parse(read('tsconfig.build.json')) as Json;
  const base = JSON.parse(read(String(build.extends ?? 'tsconfig.json'))) as Json;
  const options = { ...asObject(base.compilerOptions), ...asObject(build.compilerOptions) };
  const clean = (p: unknown): string => posix.normalize(String(p)).replace(/\/$/, '');
  return {
    rootDir: clean(options.rootDir ?? '.'),
    outDir: clean(options.outDir ?? '.'),
    include: asArray(build.include ?? base.include).map(clean),
    exclude: asArray(build.exclude ?? base.exclude).map(String),
  };
};

/** `dist/cli/ship.js` → `src/cli/ship.ts` when tsconfig.build.json compiles that file there, else undefined. */
function compiledFrom(output: string): string | undefined {
  const { rootDir, outDir, include, exclude } = buildConfig();
  const relative = posix.relative(outDir, posix.normalize(output));
  if (relative.startsWith('..') || !relative.endsWith('.js')) {
    return undefined;
  }
  const source = posix.join(rootDir, relative.replace(/\.js$/, '.ts'));
  const included = include.some((dir) => source === dir || source.startsWith(`${dir}/`));
  const excluded = exclude.some((pattern) =>
    pattern.includes('*')
      ? globRegExp(pattern).test(source)
      : source === pattern || source.startsWith(`${pattern}/`),
  );
  return included && !excluded && exists(source) ? source : undefined;
}

const CLI_SOURCES = readdirSync(join(ROOT, 'src/cli'))
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'))
  .map((f) => `src/cli/${f}`);

// ---------------------------------------------------------------------------------------------------------------
// docker-compose.yml

interface ComposeService {
  image?: string;
  build?: unknown;
  environment?: Record<string, unknown> | string[];
  ports?: unknown[];
  healthcheck?: { test?: unknown; disable?: boolean };
  command?: unknown;
  restart?: string;
  depends_on?: Record<string, { condition?: string }> | string[];
}

const composeServices = (): Record<string, ComposeService> =>
  (parse(read('docker-compose.yml')) as { services: Record<string, ComposeService> }).services;

/** The services that run the image the Dockerfile builds: built here, or sharing a built service's image name. */
function ownServices(): [string, ComposeService][] {
  const services = Object.entries(composeServices());
  const builtImages = new Set(services.filter(([, s]) => s.build !== undefined).map(([, s]) => s.image));
  return services.filter(
    ([, s]) => s.build !== undefined || (s.image !== undefined && builtImages.has(s.image)),
  );
}

function environment(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((line) => {
        const [name = '', ...value] = line.split('=');
        return [name, value.join('=')];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v ?? '')]));
}

/** Host and container ports of a `ports` entry, short (`127.0.0.1:8000:8000`, `8000`) or long syntax. */
function portMapping(entry: unknown): { published?: number; target: number } {
  if (typeof entry === 'object' && entry !== null) {
    const { published, target } = entry as { published?: unknown; target: unknown };
    return { published: published === undefined ? undefined : Number(published), target: Number(target) };
  }
  const parts = String(entry).split('/')[0]!.split(':');
  const target = Number(parts[parts.length - 1]);
  return { published: parts.length > 1 ? Number(parts[parts.length - 2]) : undefined, target };
}

const commandWords = (command: unknown): string[] =>
  Array.isArray(command) ? command.map(String) : String(command ?? '').split(/\s+/);

// ---------------------------------------------------------------------------------------------------------------
// Kubernetes manifests

const K8S = 'deploy/kubernetes';

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

function manifests(files = manifestFiles()): K8sObject[] {
  return files.flatMap((file) =>
    parseAllDocuments(read(`${K8S}/${file}`))
      .map((doc) => doc.toJS() as K8sObject | null)
      .filter((o): o is K8sObject => o !== null),
  );
}

const manifestFiles = (): string[] =>
  readdirSync(join(ROOT, K8S)).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');

function one(kind: string, objects = manifests()): K8sObject {
  const found = objects.filter((o) => o.kind === kind);
  expect(found.map((o) => o.kind)).toEqual([kind]);
  return found[0]!;
}

interface Container {
  name: string;
  ports?: { name?: string; containerPort: number }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  env?: { name: string }[];
  livenessProbe?: { httpGet?: { path: string; port: number | string } };
  readinessProbe?: { httpGet?: { path: string; port: number | string } };
  startupProbe?: { httpGet?: { path: string; port: number | string } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

interface DeploymentSpec {
  replicas: number;
  selector: { matchLabels: Record<string, string> };
  template: { metadata: { labels: Record<string, string> }; spec: { containers: Container[] } };
}

const deployment = (): K8sObject & { spec: DeploymentSpec } =>
  one('Deployment') as K8sObject & { spec: DeploymentSpec };
const container = (): Container => {
  const containers = deployment().spec.template.spec.containers;
  expect(containers).toHaveLength(1);
  return containers[0]!;
};

/** The port a probe or Service names (a number, or the name of one of the container's ports). */
function containerPort(port: number | string): number | undefined {
  return typeof port === 'number' ? port : container().ports?.find((p) => p.name === port)?.containerPort;
}

const containsLabels = (labels: Record<string, string>, selector: Record<string, string>): boolean =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

// ---------------------------------------------------------------------------------------------------------------
// Kibana saved objects

interface SavedObject {
  id: string;
  type: string;
  attributes: Json;
  references: { id: string; name: string; type: string }[];
  file: string;
  line: number;
}

const KIBANA = 'kibana';

function savedObjects(): SavedObject[] {
  return readdirSync(join(ROOT, KIBANA))
    .filter((f) => f.endsWith('.ndjson'))
    .flatMap((file) =>
      read(`${KIBANA}/${file}`)
        .split('\n')
        .map((text, i) => ({ text, line: i + 1 }))
        .filter(({ text }) => text.trim() !== '')
        .map(({ text, line }) => ({
          ...(JSON.parse(text) as Omit<SavedObject, 'file' | 'line'>),
          file,
          line,
        })),
    );
}

interface MappedField {
  type: string;
  /** Under a `nested` field: Lens cannot aggregate it. */
  nested: boolean;
}

/** An index mapping as dotted field names (`result.risk_level`) with their types. */
function mappedFields(
  properties: Record<string, unknown>,
  prefix = '',
  nested = false,
): Map<string, MappedField> {
  const fields = new Map<string, MappedField>();
  for (const [name, raw] of Object.entries(properties)) {
    const property = asObject(raw);
    const path = `${prefix}${name}`;
    const type = String(property.type ?? 'object');
    fields.set(path, { type, nested });
    if (property.properties) {
      for (const [child, field] of mappedFields(
        asObject(property.properties),
        `${path}.`,
        nested || type === 'nested',
      )) {
        fields.set(child, field);
      }
    }
    for (const [sub, definition] of Object.entries(asObject(property.fields))) {
      fields.set(`${path}.${sub}`, { type: String(asObject(definition).type), nested });
    }
  }
  return fields;
}

/** The shipped indexes by kind, under their default names (ES_INDEX_*). */
const INDEXES: ShippingIndexes = new AppConfig(DEFAULTS).shipping.indexes;
const MAPPINGS = indexMappings();

/** Escapes a data view title (`ml-api-logs*`, comma-separated patterns) into a regular expression. */
const titleRegExp = (title: string): RegExp =>
  new RegExp(
    `^(${title
      .split(',')
      .map((p) =>
        p
          .trim()
          .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*'),
      )
      .join('|')})$`,
  );

/** The one shipped index a data view's title matches (undefined if none or several). */
function indexOfDataView(title: string): keyof ShippingIndexes | undefined {
  const matching = (Object.keys(INDEXES) as (keyof ShippingIndexes)[]).filter((kind) =>
    titleRegExp(title).test(INDEXES[kind]),
  );
  return matching.length === 1 ? matching[0] : undefined;
}

const NUMERIC = ['integer', 'long', 'short', 'byte', 'float', 'half_float', 'double', 'scaled_float'];
/** The mapping types each Lens operation can aggregate. */
const OPERATION_FIELD_TYPES: Record<string, string[]> = {
  date_histogram: ['date'],
  terms: ['keyword', 'ip', 'boolean', ...NUMERIC],
  unique_count: ['keyword', 'ip', 'date', ...NUMERIC],
  average: NUMERIC,
  sum: NUMERIC,
  min: NUMERIC,
  max: NUMERIC,
  median: NUMERIC,
  percentile: NUMERIC,
  standard_deviation: NUMERIC,
};
/** A column's dataType for a mapping type. */
const lensDataType = (mappingType: string): string =>
  NUMERIC.includes(mappingType) ? 'number' : mappingType === 'keyword' ? 'string' : mappingType;

/** Field names in a KQL query (`result.prediction : 1 and model : x`). */
const kqlFields = (query: string): string[] => [...query.matchAll(/([\w.@]+)\s*:/g)].map((m) => m[1]!);

interface LensColumn {
  operationType: string;
  sourceField?: string;
  dataType?: string;
  params?: { filters?: { input: { query: string } }[]; orderBy?: { type: string; columnId?: string } };
}

interface LensLayer {
  columns: Record<string, LensColumn>;
  columnOrder: string[];
}

function lensLayers(lens: SavedObject): [string, LensLayer][] {
  const state = asObject(lens.attributes.state);
  const datasources = asObject(state.datasourceStates);
  expect(Object.keys(datasources)).toEqual(['formBased']);
  return Object.entries(asObject(asObject(datasources.formBased).layers)) as [string, LensLayer][];
}

/** The column ids a Lens visualisation state uses, per layer id. */
function accessors(lens: SavedObject): Map<string, string[]> {
  const visualization = asObject(asObject(lens.attributes.state).visualization);
  const used = new Map<string, string[]>();
  const add = (layerId: unknown, ids: unknown[]): void => {
    const list = used.get(String(layerId)) ?? [];
    used.set(String(layerId), [...list, ...ids.filter((id) => id !== undefined).map(String)]);
  };
  switch (lens.attributes.visualizationType) {
    case 'lnsXY':
      for (const layer of asArray(visualization.layers).map(asObject)) {
        add(layer.layerId, [layer.xAccessor, layer.splitAccessor, ...asArray(layer.accessors)]);
      }
      break;
    case 'lnsPie':
      for (const layer of asArray(visualization.layers).map(asObject)) {
        add(layer.layerId, [
          ...asArray(layer.primaryGroups),
          ...asArray(layer.secondaryGroups),
          ...asArray(layer.metrics),
        ]);
      }
      break;
    case 'lnsMetric':
      add(visualization.layerId, [
        visualization.metricAccessor,
        visualization.secondaryMetricAccessor,
        visualization.maxAccessor,
        visualization.breakdownByAccessor,
      ]);
      break;
    case 'lnsDatatable':
      add(visualization.layerId, [
        ...asArray(visualization.columns).map((c) => asObject(c).columnId),
        asObject(visualization.sorting).columnId,
      ]);
      break;
    default:
      throw new Error(
        `${lens.id}: visualisation type ${String(lens.attributes.visualizationType)} is not checked`,
      );
  }
  return used;
}

interface Panel {
  type: string;
  panelIndex: string;
  panelRefName?: string;
  gridData: { x: number; y: number; w: number; h: number; i: string };
}

/** What Kibana 8's dashboard schema accepts (`unknowns: 'forbid'`): any other attribute fails the import. */
const DASHBOARD_ATTRIBUTES = new Set([
  'title',
  'description',
  'kibanaSavedObjectMeta',
  'timeRestore',
  'timeFrom',
  'timeTo',
  'refreshInterval',
  'controlGroupInput',
  'panelsJSON',
  'optionsJSON',
  'hits',
  'version',
]);

// ---------------------------------------------------------------------------------------------------------------

describe('deployment files', () => {
  describe('Dockerfile', () => {
    it('copies only files that exist in the repository and that .dockerignore lets into the build context', () => {
      const sources = copies()
        .filter((c) => c.from === undefined)
        .flatMap((c) => c.sources);
      expect(sources.length).toBeGreaterThan(0);
      expect(sources.filter((s) => !exists(s))).toEqual([]);
      expect(sources.filter((s) => dockerignored(posix.normalize(s)))).toEqual([]);
    });

    it('builds in several stages and runs as a non-root user with a HEALTHCHECK', () => {
      const instructions = dockerfile().filter((i) => i.stage === lastStage());
      expect(lastStage()).toBeGreaterThanOrEqual(1);
      const user = instructions.filter((i) => i.keyword === 'USER').pop()?.args;
      expect(user).toBeDefined();
      expect(['root', '0']).not.toContain(user?.split(':')[0]);
      expect(instructions.some((i) => i.keyword === 'HEALTHCHECK' && !/^NONE$/i.test(i.args))).toBe(true);
    });

    it('starts dist/main.js, which the build compiles from src/main.ts', () => {
      const cmd = dockerfile()
        .filter((i) => i.stage === lastStage() && i.keyword === 'CMD')
        .pop();
      const words = JSON.parse(cmd?.args ?? '[]') as string[];
      expect(words[0]).toBe('node');
      expect(compiledFrom(words[1] ?? '')).toBe('src/main.ts');
    });

    it('compiles every command-line tool of src/cli and puts the compiled dist/ in the runtime image', () => {
      expect(CLI_SOURCES.length).toBeGreaterThan(0);
      for (const source of CLI_SOURCES) {
        const output = source.replace(/^src\//, 'dist/').replace(/\.ts$/, '.js');
        expect({ output, source: compiledFrom(output) }).toEqual({ output, source });
      }
      const buildStage = copies().filter((c) => c.stage < lastStage() && c.from === undefined);
      expect(buildStage.flatMap((c) => c.sources)).toEqual(
        expect.arrayContaining(['src', 'tsconfig.build.json']),
      );
      const runtime = copies().filter((c) => c.stage === lastStage() && c.from !== undefined);
      expect(runtime.flatMap((c) => c.sources)).toContain('/app/dist');
    });

    it('puts in the runtime image the survey CSV train reads by default and the kibana folder kibana-setup imports', () => {
      const csv = /'(data\/[^']+\.csv)'/.exec(read('src/cli/train.ts'))?.[1];
      expect(csv).toBeDefined();
      const runtime = copies()
        .filter((c) => c.stage === lastStage() && c.from === undefined)
        .flatMap((c) => c.sources);
      expect(runtime).toEqual(expect.arrayContaining([csv, KIBANA]));
    });
  });

  describe('docker-compose.yml', () => {
    it('sets only environment variables the config schema knows, with values it accepts', () => {
      const own = ownServices();
      expect(own.map(([name]) => name)).toEqual(expect.arrayContaining(['api', 'kibana-setup']));
      for (const [name, service] of own) {
        const env = environment(service);
        expect({ name, unknown: Object.keys(env).filter((k) => !KNOWN_ENV.has(k)) }).toEqual({
          name,
          unknown: [],
        });
        expect(() => validateEnv(env)).not.toThrow();
      }
    });

    it('publishes no Redis port (a local Redis keeps 6379), and the api on the port the image listens on', () => {
      const services = composeServices();
      expect(services.redis).toBeDefined();
      expect(services.redis?.ports ?? []).toEqual([]);
      const published = Object.values(services).flatMap((s) => (s.ports ?? []).map(portMapping));
      expect(published.filter((p) => p.published === 6379 || p.target === 6379)).toEqual([]);
      const imagePort = /API_PORT=(\d+)/.exec(
        dockerfile()
          .filter((i) => i.stage === lastStage() && i.keyword === 'ENV')
          .map((i) => i.args)
          .join(' '),
      )?.[1];
      expect((services.api?.ports ?? []).map((p) => portMapping(p).target)).toEqual([Number(imagePort)]);
    });

    it('gives every long-running service a health check, and one-shot services none', () => {
      const imageHasHealthcheck = dockerfile().some(
        (i) => i.stage === lastStage() && i.keyword === 'HEALTHCHECK',
      );
      const own = new Set(ownServices().map(([name]) => name));
      for (const [name, service] of Object.entries(composeServices())) {
        const oneShot = service.restart === 'no';
        const checked =
          service.healthcheck?.disable !== true &&
          (service.healthcheck?.test !== undefined || (own.has(name) && imageHasHealthcheck));
        expect({ name, oneShot, checked }).toEqual({ name, oneShot, checked: !oneShot });
      }
    });

    it('quotes the URLs of shell health checks (an unquoted & backgrounds curl and the check always passes)', () => {
      const shellChecks = Object.entries(composeServices())
        .map(([name, s]) => [name, commandWords(s.healthcheck?.test)] as const)
        .filter(([, test]) => test[0] === 'CMD-SHELL');
      expect(shellChecks.length).toBeGreaterThan(0);
      for (const [name, test] of shellChecks) {
        const unquoted = test
          .slice(1)
          .join(' ')
          .replace(/'[^']*'|"[^"]*"/g, '')
          .replace(/&&/g, '');
        expect({ name, ampersand: unquoted.includes('&') }).toEqual({ name, ampersand: false });
      }
    });

    it('imports the dashboards once Kibana is healthy, from the api image, with a CLI the build compiles', () => {
      const services = composeServices();
      const setup = services['kibana-setup'];
      expect(setup?.image).toBeDefined();
      expect(setup?.image).toBe(services.api?.image);
      expect(setup?.restart).toBe('no');
      expect(setup?.depends_on).toEqual({ kibana: { condition: 'service_healthy' } });
      expect(services.kibana?.healthcheck?.test).toBeDefined();
      const words = commandWords(setup?.command);
      expect(words.slice(0, 3)).toEqual([
        'node',
        expect.stringMatching(/^dist\/cli\/[\w-]+\.js$/),
        'import-dashboards',
      ]);
      expect(compiledFrom(words[1]!)).toBe(words[1]!.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts'));
      const option = (name: string): string | undefined => words[words.indexOf(name) + 1];
      expect(option('--input')).toBe(KIBANA);
      expect(statSync(join(ROOT, KIBANA)).isDirectory()).toBe(true);
      const kibanaUrl = new URL(option('--kibana-url') ?? '');
      expect(Object.keys(services)).toContain(kibanaUrl.hostname);
      expect(kibanaUrl.hostname).toBe('kibana');
      expect(words).toContain('--overwrite');
    });
  });

  describe('Kubernetes manifests', () => {
    it('lists in kustomization.yaml every manifest of the folder but the Secret template', () => {
      const kustomization = parse(read(`${K8S}/kustomization.yaml`)) as { resources: string[] };
      const files = manifestFiles();
      expect(files).toContain('secret.example.yaml');
      expect([...kustomization.resources].sort()).toEqual(
        files.filter((f) => f !== 'secret.example.yaml').sort(),
      );
      expect(manifests(kustomization.resources).map((o) => o.kind)).not.toContain('Secret');
    });

    it('sets only environment variables the schema knows, in a ConfigMap and Secret the service accepts', () => {
      const configMap = one('ConfigMap') as K8sObject & { data: Record<string, string> };
      const secret = one('Secret') as K8sObject & { stringData?: Record<string, string>; data?: Json };
      expect(secret.data).toBeUndefined();
      const env = { ...configMap.data, ...secret.stringData };
      const names = [...Object.keys(env), ...(container().env ?? []).map((e) => e.name)];
      expect(names.filter((k) => !KNOWN_ENV.has(k))).toEqual([]);
      expect(() => validateEnv(env)).not.toThrow();
      expect(container().envFrom).toEqual(
        expect.arrayContaining([
          { configMapRef: { name: configMap.metadata.name } },
          { secretRef: { name: secret.metadata.name } },
        ]),
      );
    });

    it('keeps the variables the schema marks secret out of the ConfigMap, and only placeholders in the Secret', () => {
      const configMap = one('ConfigMap') as K8sObject & { data: Record<string, string> };
      const secret = one('Secret') as K8sObject & { stringData: Record<string, string> };
      expect(Object.keys(configMap.data).filter((k) => SECRET_ENV.has(k))).toEqual([]);
      expect(Object.keys(secret.stringData).length).toBeGreaterThan(0);
      for (const [name, value] of Object.entries(secret.stringData)) {
        expect({ name, placeholder: value.includes('REPLACE') }).toEqual({ name, placeholder: true });
      }
    });

    it('runs 3 replicas with resource requests and limits', () => {
      expect(deployment().spec.replicas).toBe(3);
      const { requests, limits } = container().resources ?? {};
      for (const resources of [requests, limits]) {
        expect(Object.keys(resources ?? {}).sort()).toEqual(['cpu', 'memory']);
      }
    });

    it('probes /health/live and /health/ready on the port the service listens on (API_PORT)', () => {
      const configMap = one('ConfigMap') as K8sObject & { data: Record<string, string> };
      const apiPort = validateEnv(configMap.data).API_PORT;
      const { livenessProbe, readinessProbe, startupProbe } = container();
      expect(livenessProbe?.httpGet?.path).toBe('/health/live');
      expect(readinessProbe?.httpGet?.path).toBe('/health/ready');
      for (const probe of [livenessProbe, readinessProbe, startupProbe].filter((p) => p !== undefined)) {
        expect(containerPort(probe.httpGet?.port ?? -1)).toBe(apiPort);
      }
    });

    it("selects the Deployment's pods with its own selector, the Service and the PodDisruptionBudget", () => {
      const { selector, template } = deployment().spec;
      const podLabels = template.metadata.labels;
      const service = one('Service') as K8sObject & {
        spec: { selector: Record<string, string>; ports: { targetPort: number | string }[] };
      };
      const pdb = one('PodDisruptionBudget') as K8sObject & {
        spec: { selector: { matchLabels: Record<string, string> } };
      };
      expect(containsLabels(podLabels, selector.matchLabels)).toBe(true);
      expect(containsLabels(podLabels, service.spec.selector)).toBe(true);
      expect(containsLabels(podLabels, pdb.spec.selector.matchLabels)).toBe(true);
      for (const { targetPort } of service.spec.ports) {
        expect(containerPort(targetPort)).toBe(8000);
      }
    });

    it('scales the Deployment by name with an autoscaling/v2 HorizontalPodAutoscaler from its replica count', () => {
      const hpa = one('HorizontalPodAutoscaler') as K8sObject & {
        spec: { scaleTargetRef: { apiVersion: string; kind: string; name: string }; minReplicas: number };
      };
      expect(hpa.apiVersion).toBe('autoscaling/v2');
      expect(hpa.spec.scaleTargetRef).toEqual({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: deployment().metadata.name,
      });
      expect(hpa.spec.minReplicas).toBe(deployment().spec.replicas);
    });
  });

  describe('probe paths', () => {
    let app: NestExpressApplication;

    beforeAll(async () => {
      // As the Secret configures it: every endpoint behind the key, which probes must not need.
      app = await createTestApp({
        env: { MODEL_POOL_SIZE: '1', API_KEY: 'deployment-test-key-0123456789', API_KEY_REQUIRED_FOR: 'all' },
      });
    });
    afterAll(() => close(app));

    it("answers 200 without the API key on the manifests' probes and the image's HEALTHCHECK", async () => {
      const { livenessProbe, readinessProbe, startupProbe } = container();
      const healthcheck = dockerfile().find((i) => i.keyword === 'HEALTHCHECK')?.args ?? '';
      const imagePath = /\+'(\/[\w/-]*)'/.exec(healthcheck)?.[1];
      const paths = [livenessProbe, readinessProbe, startupProbe].map((p) => p?.httpGet?.path);
      expect(imagePath).toBeDefined();
      for (const path of new Set([...paths, imagePath].filter((p) => p !== undefined))) {
        const response = await request(app.getHttpServer()).get(path);
        expect({ path, status: response.status }).toEqual({ path, status: 200 });
      }
    });
  });

  describe('Kibana saved objects', () => {
    it('parses every line of kibana/*.ndjson as a saved object, each id once per file and defined alike in all', () => {
      const objects = savedObjects();
      expect(objects.length).toBeGreaterThan(0);
      for (const o of objects) {
        expect({
          at: `${o.file}:${o.line}`,
          id: typeof o.id,
          type: typeof o.type,
          refs: Array.isArray(o.references),
        }).toEqual({ at: `${o.file}:${o.line}`, id: 'string', type: 'string', refs: true });
        expect(['index-pattern', 'lens', 'dashboard']).toContain(o.type);
      }
      const keys = objects.map((o) => `${o.file} ${o.id}`);
      expect(keys.filter((key, i) => keys.indexOf(key) !== i)).toEqual([]);
      const definition = ({ file: _file, line: _line, ...object }: SavedObject): string =>
        JSON.stringify(object);
      const differing = objects.filter((o) =>
        objects.some((p) => p.id === o.id && definition(p) !== definition(o)),
      );
      expect(differing.map((o) => `${o.file}:${o.line} ${o.id}`)).toEqual([]);
    });

    it('resolves every reference inside its own file, since each file is imported alone', () => {
      const objects = savedObjects();
      const broken = objects.flatMap((o) =>
        o.references
          .filter((r) => !objects.some((p) => p.file === o.file && p.id === r.id && p.type === r.type))
          .map((r) => `${o.file}: ${o.id} → ${r.type} ${r.id} (${r.name})`),
      );
      expect(broken).toEqual([]);
      expect(objects.filter((o) => o.type !== 'index-pattern').every((o) => o.references.length > 0)).toBe(
        true,
      );
    });

    it('defines in dataviews.ndjson one data view per shipped index but the dead letters, timed by a date field', () => {
      const views = savedObjects().filter((o) => o.type === 'index-pattern');
      const own = views.filter((v) => v.file === 'dataviews.ndjson');
      expect(new Set(views.map((v) => v.id))).toEqual(new Set(own.map((v) => v.id)));
      const kinds = own.map((v) => indexOfDataView(String(v.attributes.title)));
      expect([...kinds].sort()).toEqual(['drift', 'logs', 'message', 'perfs', 'topFunc']);
      for (const [i, view] of own.entries()) {
        const fields = mappedFields(asObject(MAPPINGS[kinds[i]!].properties));
        expect(fields.get(String(view.attributes.timeFieldName))?.type).toBe('date');
      }
    });

    it("names in each visualisation only fields of its data view's index mapping, with operations that fit them", () => {
      const objects = savedObjects();
      const lenses = objects.filter((o) => o.type === 'lens');
      expect(lenses.length).toBeGreaterThan(0);
      const problems: string[] = [];
      for (const lens of lenses) {
        for (const [layerId, layer] of lensLayers(lens)) {
          const ref = lens.references.find((r) => r.name === `indexpattern-datasource-layer-${layerId}`);
          const view = objects.find(
            (o) => o.file === lens.file && o.id === ref?.id && o.type === 'index-pattern',
          );
          const kind = indexOfDataView(String(view?.attributes.title ?? ''));
          if (!kind) {
            problems.push(`${lens.id}/${layerId}: no data view of a shipped index`);
            continue;
          }
          const fields = mappedFields(asObject(MAPPINGS[kind].properties));
          const check = (where: string, name: string, operation?: string, dataType?: string): void => {
            const field = fields.get(name);
            const allowed = operation ? OPERATION_FIELD_TYPES[operation] : undefined;
            if (!field || field.nested) {
              problems.push(`${lens.id}/${where}: ${name} is not an aggregatable field of ${INDEXES[kind]}`);
            } else if (operation && !allowed) {
              problems.push(`${lens.id}/${where}: operation ${operation} is not checked`);
            } else if (allowed && !allowed.includes(field.type)) {
              problems.push(`${lens.id}/${where}: ${operation} of ${name}, a ${field.type} field`);
            } else if (dataType && dataType !== lensDataType(field.type)) {
              problems.push(`${lens.id}/${where}: ${name} is a ${field.type} field, not ${dataType}`);
            }
          };
          for (const [columnId, column] of Object.entries(layer.columns)) {
            if (column.sourceField && column.sourceField !== '___records___') {
              check(columnId, column.sourceField, column.operationType, column.dataType);
            }
            for (const filter of column.params?.filters ?? []) {
              kqlFields(filter.input.query).forEach((name) => check(columnId, name));
            }
            const orderBy = column.params?.orderBy;
            if (orderBy?.type === 'column' && !layer.columns[orderBy.columnId ?? '']) {
              problems.push(`${lens.id}/${columnId}: ordered by a missing column ${orderBy.columnId}`);
            }
          }
          const query = String(asObject(asObject(lens.attributes.state).query).query ?? '');
          kqlFields(query).forEach((name) => check('query', name));
        }
      }
      expect(problems).toEqual([]);
    });

    it('wires every Lens layer to a data view and every chart accessor to a column of its layer', () => {
      for (const lens of savedObjects().filter((o) => o.type === 'lens')) {
        const layers = new Map(lensLayers(lens));
        for (const [layerId, layer] of layers) {
          expect(lens.references).toContainEqual(
            expect.objectContaining({
              type: 'index-pattern',
              name: `indexpattern-datasource-layer-${layerId}`,
            }),
          );
          expect([...layer.columnOrder].sort()).toEqual(Object.keys(layer.columns).sort());
        }
        for (const [layerId, ids] of accessors(lens)) {
          const columns = layers.get(layerId)?.columns ?? {};
          expect({ lens: lens.id, layerId, missing: ids.filter((id) => !columns[id]) }).toEqual({
            lens: lens.id,
            layerId,
            missing: [],
          });
        }
      }
    });

    it('places each dashboard panel, without overlap in the 48-column grid, on a visualisation of the folder', () => {
      const dashboards = savedObjects().filter((o) => o.type === 'dashboard');
      expect(dashboards.map((d) => String(d.attributes.title))).toEqual([
        expect.stringContaining('Predictions'),
        expect.stringContaining('Performance'),
        expect.stringContaining('Drift'),
      ]);
      for (const dashboard of dashboards) {
        expect(Object.keys(dashboard.attributes).filter((k) => !DASHBOARD_ATTRIBUTES.has(k))).toEqual([]);
        const panels = JSON.parse(String(dashboard.attributes.panelsJSON)) as Panel[];
        expect(panels.length).toBeGreaterThan(0);
        for (const panel of panels) {
          const ref = dashboard.references.find(
            (r) => r.name === `${panel.panelIndex}:${panel.panelRefName}`,
          );
          expect({ panel: panel.panelIndex, type: ref?.type }).toEqual({
            panel: panel.panelIndex,
            type: panel.type,
          });
          const { x, w } = panel.gridData;
          expect(x >= 0 && w > 0 && x + w <= 48).toBe(true);
        }
        const overlaps = panels.flatMap((a, i) =>
          panels
            .slice(i + 1)
            .filter(
              (b) =>
                a.gridData.x < b.gridData.x + b.gridData.w &&
                b.gridData.x < a.gridData.x + a.gridData.w &&
                a.gridData.y < b.gridData.y + b.gridData.h &&
                b.gridData.y < a.gridData.y + a.gridData.h,
            )
            .map((b) => `${a.panelIndex}/${b.panelIndex}`),
        );
        expect(overlaps).toEqual([]);
      }
    });
  });

  describe('documentation', () => {
    it('names only command-line tools the build compiles into the image', () => {
      const files = [
        'docs/deployment.md',
        `${KIBANA}/README.md`,
        `${K8S}/README.md`,
        'docker-compose.yml',
        'Dockerfile',
      ];
      const named = files.flatMap((file) =>
        [...read(file).matchAll(/dist\/cli\/[\w-]+\.js/g)].map((m) => m[0]),
      );
      expect(named.length).toBeGreaterThan(0);
      for (const output of new Set(named)) {
        expect({ output, source: compiledFrom(output) }).toEqual({
          output,
          source: output.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts'),
        });
      }
    });
  });
});
