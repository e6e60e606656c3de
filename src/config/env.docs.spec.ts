import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENV_DOCS } from './env.docs';
import { EnvironmentVariables, EnvName } from './env.schema';

const root = join(__dirname, '../..');
const names = Object.keys(ENV_DOCS) as EnvName[];
const defaults = new EnvironmentVariables();
const shown = (name: EnvName): string => {
  const value = defaults[name];
  return value === undefined ? '' : String(value);
};

describe('environment documentation', () => {
  const example = readFileSync(join(root, '.env.example'), 'utf8');
  const readme = readFileSync(join(root, 'docs', 'configuration.md'), 'utf8');

  it('.env.example lists every variable once, with its default and description', () => {
    const assigned = example
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => l.split('=')[0]);
    expect(assigned).toEqual(names);
    for (const name of names) {
      expect(example).toContain(`# ${ENV_DOCS[name].description}\n${name}=${shown(name)}\n`);
    }
  });

  it('the table of docs/configuration.md lists every variable once, with its default and description', () => {
    const rows = readme
      .split('\n')
      .filter((l) => /^\|\s*`[A-Z_]+`\s*\|/.test(l))
      .map((l) =>
        l
          .split('|')
          .slice(1, -1)
          .map((cell) => cell.trim()),
      );
    expect(rows.map((cells) => cells[0])).toEqual(names.map((n) => `\`${n}\``));
    for (const name of names) {
      const d = shown(name);
      const secret = ENV_DOCS[name].secret ? 'yes' : '';
      expect(rows).toContainEqual([
        `\`${name}\``,
        d ? `\`${d}\`` : '(unset)',
        secret,
        ENV_DOCS[name].description,
      ]);
    }
  });
});
