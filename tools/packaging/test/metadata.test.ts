/** Every published package.json carries what npm users and tools need (metadata.ts's rules), and the fixer makes a bare one comply. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RULES, fixPackage, problems, repositoryUrl } from '../src/metadata.js';
import { isDeferred, publishedPackages, readManifest } from '../src/workspace.js';

const packages = publishedPackages();

it('finds the published packages under packages/ (private ones left out)', () => {
  expect(packages.length).toBeGreaterThanOrEqual(6);
  expect(packages.every((p) => p.relDir.startsWith('packages/') && p.manifest.private !== true)).toBe(true);
});

describe.each(packages.map((p) => [p.manifest.name, p] as const))('%s', (name, pkg) => {
  for (const rule of RULES) {
    const deferred = rule.check !== undefined && isDeferred(name, rule.check);
    (deferred ? it.fails : it)(rule.says, () => {
      expect(rule.holds(pkg, repositoryUrl())).toBe(true);
    });
  }
});

describe('fixPackage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsquic-metadata-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('adds repository, homepage, bugs, LICENSE and default conditions; leaves the README to a person', () => {
    const pkgDir = join(dir, 'packages', 'x');
    mkdirSync(pkgDir, { recursive: true });
    const bare = {
      name: '@tsquic/x',
      version: '0.1.0',
      description: 'a package someone just added to the workspace',
      type: 'module',
      exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' }, './package.json': './package.json' },
      files: ['dist'],
      engines: { node: '>=20.19' },
      publishConfig: { access: 'public' },
    };
    writeFileSync(join(pkgDir, 'package.json'), JSON.stringify(bare));
    const left = fixPackage({ dir: pkgDir, relDir: 'packages/x', manifest: bare });
    expect(left).toEqual([RULES.at(-1)!.says]);
    const fixed = readManifest(pkgDir);
    expect(fixed.exports!['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
    expect(fixed.repository).toEqual({ type: 'git', url: `git+${repositoryUrl()}.git`, directory: 'packages/x' });
    expect(problems({ dir: pkgDir, relDir: 'packages/x', manifest: fixed })).toEqual(left);
  });
});
