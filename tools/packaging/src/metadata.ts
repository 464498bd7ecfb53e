/**
 * @module metadata
 * What every published package.json must say, as a table of rules checked in
 * CI and applied by `pnpm metadata --fix`: where the code and the issues
 * live (taken from the root package.json, so one edit moves them all), the
 * licence file shipped, ESM with an exports map whose conditions are `types`
 * first and `default` last — so `require()` of the package works on Node ≥
 * 20.19 (require(esm)) and bundlers that do not know `import` still resolve.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Check, type Manifest, ROOT, type WorkspacePackage, readManifest } from './workspace.js';

/** The repository every package points at, from the root package.json's `repository`. */
export function repositoryUrl(root = ROOT): string {
  const repo = readManifest(root).repository;
  const url = typeof repo === 'string' ? repo : repo?.url;
  if (!url) throw new Error('the root package.json has no repository.url');
  return url.replace(/^git\+/, '').replace(/\.git$/, '');
}

/** The fields a package must carry, for its directory. */
export function expectedFields(relDir: string, repo: string): Pick<Manifest, 'homepage' | 'bugs' | 'repository' | 'license'> {
  return {
    license: 'MIT',
    homepage: `${repo}/tree/main/${relDir}#readme`,
    bugs: { url: `${repo}/issues` },
    repository: { type: 'git', url: `git+${repo}.git`, directory: relDir },
  };
}

interface Rule {
  /** What a reader of the report is told. */
  says: string;
  /** The name under which a package may be listed in DEFERRED for this rule. */
  check?: Check;
  holds(p: WorkspacePackage, repo: string): boolean;
  /** Make the rule hold, editing the manifest in place (absent: fix by hand). */
  fix?(m: Manifest, p: WorkspacePackage, repo: string): void;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function conditionObjects(m: Manifest): [string, Record<string, string>][] {
  return Object.entries(m.exports ?? {}).filter((e): e is [string, Record<string, string>] => typeof e[1] === 'object');
}

export const RULES: readonly Rule[] = [
  { says: 'has a description', holds: (p) => (p.manifest.description ?? '').length > 20 },
  {
    says: 'license, homepage, bugs and repository (with its directory) point at the root repository',
    holds: (p, repo) => Object.entries(expectedFields(p.relDir, repo)).every(([k, v]) => same(p.manifest[k], v)),
    fix: (m, p, repo) => Object.assign(m, expectedFields(p.relDir, repo)),
  },
  { says: 'is an ES module package ("type": "module")', holds: (p) => p.manifest.type === 'module' },
  { says: 'has an exports map with "./package.json"', holds: (p) => p.manifest.exports?.['./package.json'] === './package.json' },
  {
    says: 'every export lists "types" first and "default" last (require(esm) on Node >= 20.19; no "import"-only entries)',
    holds: (p) =>
      conditionObjects(p.manifest).every(([, c]) => {
        const keys = Object.keys(c);
        return keys[0] === 'types' && keys.at(-1) === 'default' && !('import' in c && c.import === c.default);
      }),
    fix: (m) => {
      for (const [, c] of conditionObjects(m)) {
        const target = c.default ?? c.import;
        delete c.import;
        delete c.default;
        if (target) c.default = target;
      }
    },
  },
  { says: 'states engines.node', holds: (p) => typeof p.manifest.engines?.node === 'string' },
  { says: 'publishes publicly (publishConfig.access public)', holds: (p) => (p.manifest.publishConfig as { access?: string } | undefined)?.access === 'public' },
  {
    says: 'ships README.md, LICENSE (the root licence, unchanged) and CHANGELOG.md (once changesets writes it)',
    holds: (p) => ['README.md', 'LICENSE', 'CHANGELOG.md'].every((f) => p.manifest.files?.includes(f)) && existsSync(join(p.dir, 'LICENSE')) && readFileSync(join(p.dir, 'LICENSE'), 'utf8') === readFileSync(join(ROOT, 'LICENSE'), 'utf8'),
    fix: (m, p) => {
      m.files = [...new Set([...(m.files ?? ['dist']), 'README.md', 'LICENSE', 'CHANGELOG.md'])];
      writeFileSync(join(p.dir, 'LICENSE'), readFileSync(join(ROOT, 'LICENSE')));
    },
  },
  {
    says: 'the README says which runtimes are tested (a "## Runtimes" section), its stability and licence',
    check: 'readme-sections',
    holds: (p) => {
      const readme = existsSync(join(p.dir, 'README.md')) ? readFileSync(join(p.dir, 'README.md'), 'utf8') : '';
      return /^## Runtimes$/m.test(readme) && /^## Stability and licence$/m.test(readme);
    },
  },
];

/** The rules a package breaks, by what they say. */
export function problems(p: WorkspacePackage, repo = repositoryUrl()): string[] {
  return RULES.filter((r) => !r.holds(p, repo)).map((r) => r.says);
}

/** Apply every fixable rule and write the manifest back (2-space JSON); returns what is left to fix by hand. */
export function fixPackage(p: WorkspacePackage, repo = repositoryUrl()): string[] {
  const m = structuredClone(p.manifest);
  for (const r of RULES) if (!r.holds(p, repo)) r.fix?.(m, p, repo);
  writeFileSync(join(p.dir, 'package.json'), `${JSON.stringify(m, null, 2)}\n`);
  return problems({ ...p, manifest: readManifest(p.dir) }, repo);
}
