/**
 * The published shape: the exports map (types first), and the packed type
 * declarations carry the public API only — the core's internals
 * (`@internal`, removed by `stripInternal`) do not ship.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { exports: Record<string, Record<string, string> | string> };

describe('the published package', () => {
  it('exports ., ./core, ./streams with types first', () => {
    for (const entry of ['.', './core', './streams']) {
      const e = manifest.exports[entry] as Record<string, string>;
      expect(Object.keys(e)[0]).toBe('types');
      expect(e.default).toMatch(/^\.\/dist\/.*\.js$/); // `default`, not `import`: require(esm) resolves it too
    }
  });

  it('the packed declarations hold no internals: no @internal member, none of the connection’s parts', () => {
    const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: pkg, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as Array<{ files: Array<{ path: string }> }>;
    const dts = packed[0]!.files.map((f) => f.path).filter((p) => p.endsWith('.d.ts'));
    expect(dts).toContain('dist/streams/index.d.ts');
    for (const f of dts) expect(readFileSync(join(pkg, f), 'utf8'), f).not.toContain('@internal');
    const conn = readFileSync(join(pkg, 'dist/core/connection.d.ts'), 'utf8');
    for (const part of ['spaces', 'crypto', 'paths', 'recovery', 'timers', 'lifecycle', 'streams', 'localCids', 'hs']) expect(conn).not.toMatch(new RegExp(`readonly ${part}\\b`));
    const shell = readFileSync(join(pkg, 'dist/streams/connection.d.ts'), 'utf8');
    expect(shell).not.toMatch(/\bdispatch\(/);
  });
});
