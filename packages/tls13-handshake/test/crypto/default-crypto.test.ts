/**
 * The default provider is chosen by module resolution (package.json
 * `imports` → `#default-crypto`): node:crypto under the `node` condition,
 * @noble elsewhere. Checked on the built package the way consumers get it:
 * Node resolves it natively, and a browser bundle (esbuild, platform
 * browser) contains no node:* import and runs a handshake on nobleCrypto.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';

const pkg = fileURLToPath(new URL('../..', import.meta.url));
const dist = join(pkg, 'dist', 'index.js');

beforeAll(() => {
  // turbo builds before testing; a bare `vitest run` builds here.
  if (!existsSync(dist)) execFileSync(process.execPath, [join(pkg, '..', '..', 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(pkg, 'tsconfig.build.json')]);
}, 60_000);

describe('#default-crypto', () => {
  it('Node resolves the built package to the node:crypto provider', async () => {
    const m = (await import(pathToFileURL(dist).href)) as typeof import('../../src/index.js');
    expect(m.defaultCrypto().name).toBe('node');
  });

  it('a browser bundle has no node:* import and runs a full handshake on the noble provider', async () => {
    const r = await build({ entryPoints: [dist], bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent' });
    const code = r.outputFiles[0]!.text;
    expect(code).not.toMatch(/["']node:/);
    const dir = mkdtempSync(join(tmpdir(), 'tls13-browser-'));
    try {
      const file = join(dir, 'bundle.mjs');
      writeFileSync(file, code);
      const m = (await import(pathToFileURL(file).href)) as typeof import('../../src/index.js');
      expect(m.defaultCrypto().name).toBe('noble');
      const c = m.createClient({ profile: { kind: 'tls' }, alpn: [], verify: 'none' });
      const s = m.createServer({ profile: { kind: 'tls' }, alpn: [] });
      const cert = new Uint8Array(readFileSync(join(pkg, 'test/fixtures/core-server-cert.der')));
      const key = new Uint8Array(readFileSync(join(pkg, 'test/fixtures/core-server-key.der')));
      s.start(0);
      let toS = c.start(0);
      for (let i = 0; i < 4 && toS.length > 0; i++) {
        const toC = toS.flatMap((e) => (e.type === 'handshake-data' ? s.receive(e.level, e.bytes, 0) : []));
        if (s.state === 'suspended') toC.push(...s.accept({ certificateChain: [cert], privateKey: key }));
        toS = toC.flatMap((e) => (e.type === 'handshake-data' ? c.receive(e.level, e.bytes, 0) : []));
      }
      expect([c.state, s.state]).toEqual(['complete', 'complete']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
