/**
 * The getting-started pages in docs/ run as written: every page's example, read from the page, in one
 * fresh project where all published packages are installed from their tarballs; each page's install
 * line names what its example imports.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExample, typeCheck } from '../src/first-hour.js';
import { importedPackages, readmeExample } from '../src/readme-example.js';
import { installProject, packAll } from '../src/tarball.js';
import { ROOT, publishedPackages } from '../src/workspace.js';

const DOCS = join(ROOT, 'docs');
const pages = readdirSync(DOCS)
  .filter((f) => f.endsWith('.md'))
  .map((f) => ({ file: f, text: readFileSync(join(DOCS, f), 'utf8') }))
  .filter((p) => /^```(ts|js)\n/m.test(p.text))
  .map((p) => ({ ...p, example: readmeExample(p.text) }));
const packages = publishedPackages();
const work = mkdtempSync(join(tmpdir(), 'tsquic-docs-'));
let diagnostics = '';

beforeAll(async () => {
  const tarballs = await packAll(packages, join(work, 'tarballs'));
  const registry = [...new Set(pages.flatMap((p) => p.example.install.filter((n) => !tarballs.has(n))))];
  await installProject(join(work, 'project'), [...tarballs.keys()], [...registry, '@types/node@20'], packages, tarballs);
  const files = Object.fromEntries(pages.filter((p) => p.example.lang === 'ts').map((p) => [p.file.replace(/\.md$/, '.ts'), p.example.code]));
  const r = await typeCheck(join(work, 'project'), files);
  diagnostics = r.code === 0 ? '' : r.stdout || r.stderr;
}, 600_000);
afterAll(() => rmSync(work, { recursive: true, force: true }), 120_000);

it('there are getting-started pages for QUIC, TLS over any transport, certificates and RPC', () => {
  expect(pages.map((p) => p.file).sort()).toEqual(['certificates.md', 'quic-in-five-minutes.md', 'rpc.md', 'tls-over-your-transport.md']);
});

describe.each(pages.map((p) => [p.file, p] as const))('docs/%s', (file, page) => {
  it('its install line names every package the example imports', () => {
    expect(importedPackages(page.example.code).filter((p) => !page.example.install.includes(p))).toEqual([]);
  });

  it('its example type-checks, runs from the tarballs and prints what the page says', async () => {
    expect(diagnostics.split('\n').filter((l) => l.startsWith(file.replace(/\.md$/, '.ts')))).toEqual([]);
    const r = await runExample(join(work, 'project'), page.example);
    expect({ step: r.step, code: r.code, stderr: r.stderr }).toEqual({ step: 'node example.mjs', code: 0, stderr: '' });
    expect(r.stdout.trimEnd().split('\n')).toEqual(page.example.expected);
  }, 120_000);
});
