/**
 * Every published package as npm will ship it: publint and attw on the tarball, then installed alone
 * (its @tsquic dependencies from their tarballs, the rest from the registry) in a fresh project outside
 * the monorepo, where its entry points load both ways and type-check strictly, and the README's first
 * example — read from the README — type-checks, runs and prints what the README says.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../src/exec.js';
import { entryPointsModule, loadEntryPoints, runExample, typeCheck } from '../src/first-hour.js';
import { importedPackages, readmeExample } from '../src/readme-example.js';
import { installProject, packAll, tarballFiles } from '../src/tarball.js';
import { codeEntryPoints, isDeferred, publishedPackages, specifier } from '../src/workspace.js';

const packages = publishedPackages();
const work = mkdtempSync(join(tmpdir(), 'tsquic-first-hour-'));
const bin = (name: string): string => join(import.meta.dirname, '../node_modules/.bin', name);
let tarballs = new Map<string, string>();

beforeAll(async () => {
  const unbuilt = packages.filter((p) => !existsSync(join(p.dir, 'dist')));
  if (unbuilt.length > 0) throw new Error(`run \`pnpm build\` first: no dist/ in ${unbuilt.map((p) => p.relDir).join(', ')}`);
  tarballs = await packAll(packages, join(work, 'tarballs'));
}, 300_000);
afterAll(() => rmSync(work, { recursive: true, force: true }), 120_000);

describe.each(packages.map((p) => [p.manifest.name, p] as const))('%s', (name, pkg) => {
  const entries = codeEntryPoints(pkg.manifest).map((s) => specifier(name, s));
  const readme = readFileSync(join(pkg.dir, 'README.md'), 'utf8');
  const example = readmeExample(readme);
  const project = join(work, name.replace('/', '+'));

  it('the tarball has README.md, LICENSE and every export target, and no tests', async () => {
    const files = await tarballFiles(tarballs.get(name)!);
    const targets = Object.values(pkg.manifest.exports ?? {}).flatMap((c) => (typeof c === 'string' ? [c] : Object.values(c)));
    for (const f of ['README.md', 'LICENSE', 'package.json', ...targets.map((t) => t.replace(/^\.\//, ''))]) expect(files).toContain(f);
    expect(files.filter((f) => /(^|\/)test\/|\.tsbuildinfo$|\.test\.[jt]s$/.test(f))).toEqual([]);
  });

  it('publint --strict is clean', async () => {
    const r = await run(bin('publint'), ['run', '--strict', tarballs.get(name)!], { cwd: work });
    expect({ code: r.code, out: r.stdout + r.stderr }).toEqual({ code: 0, out: expect.stringContaining('All good!') });
  }, 60_000);

  it('attw (ESM-only profile) finds no problem', async () => {
    const r = await run(bin('attw'), [tarballs.get(name)!, '--profile', 'esm-only', '--format', 'ascii'], { cwd: work });
    // Exit 0: no problem in the resolutions an ESM-only package supports (node16 from ESM, bundler).
    expect({ code: r.code, out: r.stdout + r.stderr }).toEqual({ code: 0, out: expect.stringMatching(/node16 \(from ESM\): 🟢/) });
  }, 60_000);

  it('the README install line names every package its first example imports', () => {
    expect(example.install).toContain(name);
    expect(importedPackages(example.code).filter((p) => !example.install.includes(p))).toEqual([]);
  });

  describe('installed alone in a fresh project', () => {
    /** tsc's diagnostics for the entry points and the README example, checked in one run. */
    let diagnostics = '';
    beforeAll(async () => {
      const local = example.install.filter((n) => tarballs.has(n));
      const registry = example.install.filter((n) => !tarballs.has(n));
      await installProject(project, [name, ...local], [...registry, '@types/node@20'], packages, tarballs);
      const files: Record<string, string> = { 'entries.ts': entryPointsModule(entries) };
      if (example.lang === 'ts') files['example.ts'] = example.code;
      const r = await typeCheck(project, files);
      diagnostics = r.code === 0 ? '' : r.stdout || r.stderr || `tsc exited ${r.code}`;
    }, 400_000);
    const lines = (): string[] => diagnostics.split('\n').filter(Boolean);
    /** The example's own errors; everything else (declarations in node_modules included) is the entry points'. */
    const exampleErrors = (): string[] => lines().filter((l) => l.startsWith('example.ts'));
    const declarationErrors = (): string[] => lines().filter((l) => !l.startsWith('example.ts'));

    it('every entry point loads with import() and with require() (require(esm), Node >= 20.19)', async () => {
      const r = await loadEntryPoints(project, entries);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    }, 60_000);

    (isDeferred(name, 'strict-types') ? it.fails : it)('every entry point type-checks in a strict Node-only project with skipLibCheck: false', async () => {
      expect(declarationErrors()).toEqual([]);
    });

    it("the README's first example type-checks, runs from the tarball and prints what the README says", async () => {
      expect(exampleErrors()).toEqual([]);
      const r = await runExample(project, example);
      expect({ step: r.step, code: r.code, stderr: r.stderr }).toEqual({ step: 'node example.mjs', code: 0, stderr: '' });
      if (example.expected) expect(r.stdout.trimEnd().split('\n')).toEqual(example.expected);
    }, 180_000);

    if (pkg.manifest.bin !== undefined)
      it('its commands run (--help)', async () => {
        for (const cmd of Object.keys(typeof pkg.manifest.bin === 'string' ? { [name]: '' } : (pkg.manifest.bin ?? {}))) {
          const r = await run(join(project, 'node_modules/.bin', cmd), ['--help'], { cwd: project });
          expect({ cmd, code: r.code }).toEqual({ cmd, code: 0 });
          expect(r.stdout.length).toBeGreaterThan(0);
        }
      }, 60_000);
  });
});
