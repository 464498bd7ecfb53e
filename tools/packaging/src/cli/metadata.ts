/**
 * @module cli/metadata
 * `pnpm metadata [--fix]`: lists what each published package.json lacks
 * (metadata.ts's rules); `--fix` applies the rules that can be applied
 * (repository, homepage, bugs, `default` conditions, LICENSE).
 */
import { parseArgs } from 'node:util';
import { fixPackage, problems } from '../metadata.js';
import { publishedPackages } from '../workspace.js';

const { values } = parseArgs({ options: { fix: { type: 'boolean', default: false } } });
let bad = 0;
for (const pkg of publishedPackages()) {
  const left = values.fix ? fixPackage(pkg) : problems(pkg);
  bad += left.length;
  console.log(`${pkg.manifest.name}: ${left.length === 0 ? 'ok' : left.map((p) => `\n  - ${p}`).join('')}`);
}
process.exit(bad === 0 ? 0 : 1);
