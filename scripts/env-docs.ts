/**
 * `npm run docs:env`: rewrites the environment table of docs/configuration.md (between its env-table markers) and
 * `.env.example` from ENV_DOCS and the schema's defaults, the one place each variable is described.
 * `src/config/env.docs.spec.ts` fails when they differ, so run this after adding or changing a variable.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENV_DOCS } from '../src/config/env.docs';
import { EnvironmentVariables, EnvName } from '../src/config/env.schema';

const ROOT = join(__dirname, '..');
const names = Object.keys(ENV_DOCS) as EnvName[];
const defaults = new EnvironmentVariables();
const shown = (name: EnvName): string => (defaults[name] === undefined ? '' : String(defaults[name]));

const table = [
  '<!-- prettier-ignore -->',
  '| variable | default | secret | meaning |',
  '| --- | --- | --- | --- |',
  ...names.map((name) => {
    const value = shown(name);
    const { description, secret } = ENV_DOCS[name];
    return `| \`${name}\` | ${value ? `\`${value}\`` : '(unset)'} | ${secret ? 'yes' : ''} | ${description} |`;
  }),
].join('\n');

const readmePath = join(ROOT, 'docs', 'configuration.md');
const readme = readFileSync(readmePath, 'utf8').replace(
  /(<!-- env-table:start -->\n)[\s\S]*?(\n<!-- env-table:end -->)/,
  `$1${table}$2`,
);
writeFileSync(readmePath, readme);

const examplePath = join(ROOT, '.env.example');
const header = readFileSync(examplePath, 'utf8').split('\n\n')[0];
const body = names.map((name) => `# ${ENV_DOCS[name].description}\n${name}=${shown(name)}\n`).join('\n');
writeFileSync(examplePath, `${header}\n\n${body}`);
console.log(`docs/configuration.md and .env.example list ${names.length} variables`);
