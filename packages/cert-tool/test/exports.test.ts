/**
 * Package shape: the main entry's whole import graph is browser-safe (no `node:*`, no `process`),
 * the `./node` entry is where Node APIs live, and the exports map lists `types` first.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
const PKG = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  exports: Record<string, Record<string, string> | string>;
  sideEffects: boolean;
  dependencies: Record<string, string>;
};

/** Every module specifier reachable from `entry` through relative imports, and the files visited (`.ts` sources or `.d.ts` declarations). */
function graph(entry: string, ext: '.ts' | '.d.ts' = '.ts'): { files: string[]; external: string[] } {
  const files = new Set<string>();
  const external = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const code = readFileSync(file, 'utf8');
    for (const m of code.matchAll(/(?:^|\n)\s*(?:import|export)[^'";]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)) {
      const spec = m[1] ?? m[2]!;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, ext)));
      else external.add(spec);
    }
  };
  visit(entry);
  return { files: [...files], external: [...external].sort() };
}

describe('package shape', () => {
  it('the main entry imports only pkijs, asn1js and @noble/*; no node:* and no process anywhere in its graph', () => {
    const { files, external } = graph(join(SRC, 'index.ts'));
    expect(external).toEqual(['@noble/curves/ed25519.js', '@noble/curves/nist.js', '@noble/hashes/legacy.js', '@noble/hashes/sha2.js', 'asn1js', 'pkijs']);
    for (const f of files) {
      expect(f).not.toMatch(/[/\\](node|cli)[/\\]/);
      expect(readFileSync(f, 'utf8')).not.toMatch(/\bprocess\.|\bBuffer\b|require\(/);
    }
    for (const dep of ['@noble/curves', '@noble/hashes', 'asn1js', 'pkijs']) expect(PKG.dependencies[dep]).toBeDefined();
  });

  it('./node is the Node entry; the exports map lists types first', () => {
    expect(graph(join(SRC, 'node', 'index.ts')).external).toContain('node:fs/promises');
    for (const [key, value] of Object.entries(PKG.exports)) {
      if (typeof value === 'string') continue;
      expect(Object.keys(value)[0], key).toBe('types');
    }
    expect(Object.keys(PKG.exports)).toEqual(['.', './node', './package.json']);
    expect(PKG.sideEffects).toBe(false);
  });

  it('the published declarations do not expose pkijs or asn1js (a skipLibCheck: false project without DOM types would get their errors)', () => {
    for (const [key, value] of Object.entries(PKG.exports)) {
      if (typeof value === 'string') continue;
      const { external } = graph(fileURLToPath(new URL(`../${value.types}`, import.meta.url)), '.d.ts');
      expect({ key, external: external.filter((s) => /^(pkijs|asn1js)/.test(s)) }).toEqual({ key, external: [] });
    }
  });
});
