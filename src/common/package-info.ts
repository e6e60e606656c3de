import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface PackageJson {
  name: string;
  version: string;
  description: string;
}

/** package.json, read once; the same relative path works from src/common (ts-node, jest) and dist/common. */
export const PACKAGE: Readonly<PackageJson> = Object.freeze(
  JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as PackageJson,
);
