/**
 * Package shape and the README: the main entry's whole import graph is
 * browser-safe (no `node:*`, no `process`, no `Buffer`); `./node` is where
 * Node APIs live; the exports map lists `types` first; the README's example
 * is scripts/example.ts and prints what the README shows.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = join(ROOT, 'src');
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, Record<string, string> | string>; sideEffects: boolean; dependencies: Record<string, string> };

/** Every module reachable from `entry` through relative imports, and the bare specifiers they import. */
function graph(entry: string): { files: string[]; external: string[] } {
  const files = new Set<string>();
  const external = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const code = readFileSync(file, 'utf8');
    for (const m of code.matchAll(/(?:^|\n)\s*(?:import|export)[^'";]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)) {
      const spec = m[1] ?? m[2]!;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else external.add(spec);
    }
  };
  visit(entry);
  return { files: [...files], external: [...external].sort() };
}

describe('package shape', () => {
  it('the main entry imports nothing outside the package: no node:*, no process or Buffer anywhere in its graph', () => {
    const { files, external } = graph(join(SRC, 'index.ts'));
    expect(external).toEqual([]);
    for (const f of files) {
      expect(f).not.toMatch(/[/\\]node[/\\]/);
      expect(readFileSync(f, 'utf8'), f).not.toMatch(/\bprocess\.|\bBuffer\b|require\(/);
    }
  });

  it('./node is the Node entry (quic-transport, node:*); the exports map lists types first', () => {
    const { external } = graph(join(SRC, 'node', 'index.ts'));
    expect(external).toContain('@tsquic/quic-transport');
    expect(external.filter((e) => !e.startsWith('node:') && e !== '@tsquic/quic-transport')).toEqual([]);
    expect(PKG.dependencies).toEqual({ '@tsquic/quic-transport': 'workspace:*' });
    for (const [key, value] of Object.entries(PKG.exports)) {
      if (typeof value === 'string') continue;
      expect(Object.keys(value)[0], key).toBe('types');
    }
    expect(Object.keys(PKG.exports)).toEqual(['.', './node', './package.json']);
    expect(PKG.sideEffects).toBe(false);
  });
});

function exampleBlocks(): { code: string; output: string } {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Example'));
  const code = /```ts\n([\s\S]*?)```\n/.exec(section)![1]!;
  const after = section.slice(section.indexOf(code) + code.length + 4);
  const output = /```\n([\s\S]*?)```/.exec(after)![1]!;
  return { code, output };
}

describe('the README example', () => {
  it('is scripts/example.ts', () => {
    expect(exampleBlocks().code).toBe(readFileSync(join(ROOT, 'scripts/example.ts'), 'utf8'));
  });

  it('runs (serve and fetch over QUIC on 127.0.0.1, certificate from cert-tool) and prints the README output', async () => {
    const stdout = await new Promise<string>((res, rej) => {
      execFile(process.execPath, ['--import', 'tsx', 'scripts/example.ts'], { cwd: ROOT, timeout: 30_000 }, (err, out, errOut) => (err ? rej(new Error(`${err.message}\n${errOut}`)) : res(out)));
    });
    expect(stdout).toBe(exampleBlocks().output);
  }, 40_000);
});
