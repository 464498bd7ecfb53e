/**
 * @module cli/docs
 * `pnpm reference [--package name …] [--out docs/api]`: the API reference of every
 * published package (docs.ts), one site; exits 1 on any warning.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { mergeSite, packageModel } from '../docs.js';
import { ROOT, publishedPackages } from '../workspace.js';

const { values } = parseArgs({ options: { package: { type: 'string', multiple: true }, out: { type: 'string', default: join(ROOT, 'docs', 'api') } } });
const packages = publishedPackages().filter((p) => !values.package || values.package.some((n) => p.manifest.name.endsWith(n)));
const models = join(values.out, '.models');
rmSync(values.out, { recursive: true, force: true });
mkdirSync(models, { recursive: true });

const failed: string[] = [];
const files: string[] = [];
for (const pkg of packages) {
  try {
    files.push(await packageModel(pkg, models));
    console.log(`${pkg.manifest.name}: documented`);
  } catch (e) {
    failed.push(pkg.manifest.name);
    console.error((e as Error).message);
  }
}
if (failed.length === 0) await mergeSite(files, values.out, join(ROOT, 'docs', 'README.md'));
rmSync(models, { recursive: true, force: true });
console.log(failed.length === 0 ? `API reference: ${values.out}/index.html (${packages.length} packages)` : `API reference: warnings in ${failed.join(', ')}`);
process.exit(failed.length === 0 ? 0 : 1);
