/**
 * The browser-safe entry points (DESIGN.md: quic-wire, quic-crypto-keys'
 * default export, tls13-handshake and its `./record` subpath) bundle with
 * esbuild for `platform: 'browser'` with no Node built-in and no polyfill,
 * and the bundles work in a realm that has only what a browser has
 * (no `process`, `Buffer`, `require`): RFC 9000 §A.1 varints, RFC 9001 §A.1
 * initial keys, and a TLS 1.3 handshake plus records with chain
 * verification, all on the noble provider. Their gzipped sizes stay in budget
 * (the figures in the READMEs come from `pnpm sizes`).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createContext, runInContext, type Context } from 'node:vm';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BROWSER_ENTRIES, bundleForBrowser } from '../scripts/browser-bundle.js';

/** Budgets for minified + gzipped bytes, about 1.3× the sizes measured when this test was written. */
const GZIP_BUDGET: Record<string, number> = {
  '@tsquic/quic-wire': 11 * 1024,
  '@tsquic/quic-crypto-keys': 22 * 1024,
  '@tsquic/tls13-handshake': 180 * 1024,
  '@tsquic/tls13-handshake/record': 8 * 1024,
};

/** What a page's global scope offers that the bundles may use; nothing of Node's. */
function browserRealm(): Context {
  const g = {
    crypto: globalThis.crypto,
    TextEncoder,
    TextDecoder,
    ReadableStream,
    WritableStream,
    TransformStream,
    ByteLengthQueuingStrategy,
    CountQueuingStrategy,
    queueMicrotask,
    setTimeout,
    clearTimeout,
    atob,
    btoa,
    URL,
    console,
  } as Record<string, unknown>;
  const ctx = createContext(g);
  runInContext('globalThis.self = globalThis; globalThis.window = globalThis;', ctx);
  return ctx;
}

const pkiFixture = (name: string): number[] => Array.from(readFileSync(fileURLToPath(new URL(`../../../packages/tls13-handshake/test/fixtures/pki/${name}.der`, import.meta.url))));

describe('browser bundles (esbuild, platform browser)', () => {
  it.each(BROWSER_ENTRIES.map((e) => [e.specifier, e] as const))('%s: no Node built-in, no polyfill, only its own dependency tree', async (_s, entry) => {
    const b = await bundleForBrowser(entry.specifier);
    // esbuild cannot resolve node:* or a built-in for the browser: reaching here means there was none,
    // and nothing was left as an external import or require. (quic-crypto-keys names 'node:crypto' only
    // as the argument of process.getBuiltinModule, behind a check that process exists.)
    expect(b.code).not.toMatch(/(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["'](?:node:|crypto["']|buffer["']|stream["'])/);
    // esbuild's shim for a require() it could not inline ("var __require = … typeof require …").
    expect(b.code).not.toMatch(/\b__require\s*=/);
    // A `browser` field mapping a module to false shows up as "(disabled):…"; nothing here may rely on that.
    expect(b.inputs.filter((p) => p.startsWith('(disabled)'))).toEqual([]);
    for (const p of b.packages) expect(entry.allowedPackages, `unexpected package ${p} in the bundle`).toContain(p);
    expect(b.packages).toContain(entry.specifier.split('/').slice(0, 2).join('/'));
  });

  it('the check itself: a module importing node:crypto does not bundle', async () => {
    await expect(bundleForBrowser('data:text/javascript,import "node:crypto"; export const x = 1;')).rejects.toThrow(/node:crypto/);
  });

  it.each(BROWSER_ENTRIES.map((e) => [e.specifier] as const))('%s: minified + gzipped within budget', async (specifier) => {
    const { code } = await bundleForBrowser(specifier, { minify: true });
    const gz = gzipSync(Buffer.from(code), { level: 9 }).length;
    expect(gz).toBeGreaterThan(1024);
    expect(gz).toBeLessThanOrEqual(GZIP_BUDGET[specifier]!);
  });

  it('the bundles run in a realm without process, Buffer or require', async () => {
    const ctx = browserRealm();
    const names = ['quicWire', 'quicCryptoKeys', 'tls13', 'tlsRecord'];
    for (const [i, entry] of BROWSER_ENTRIES.entries()) {
      const { code } = await bundleForBrowser(entry.specifier, { format: 'iife', globalName: names[i]! });
      runInContext(code, ctx, { filename: `${entry.specifier}.bundle.js` });
    }
    ctx.fixtures = JSON.stringify({ root: pkiFixture('root-a'), inter: pkiFixture('inter'), leaf: pkiFixture('leaf'), key: pkiFixture('leaf.key') });
    const json = (await runInContext(`(${smoke.toString()})(quicWire, quicCryptoKeys, tls13, tlsRecord, JSON.parse(fixtures))`, ctx)) as string;
    expect(JSON.parse(json)).toEqual({
      nodeGlobals: ['undefined', 'undefined', 'undefined'],
      varints: ['151288809941952652', 494878333, 15293, 37],
      encoded: '9d7f3e7d',
      quicProvider: 'noble',
      // RFC 9001 §A.1 client initial secret, key, iv, hp.
      clientInitial: 'c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea',
      key: '1f369613dd76d5467730efcbe3b1a22d',
      iv: 'fa044b2f42a3fd3b46fb255c',
      hp: '9f50449e04a0e810283a1e9933adedd2',
      opened: 'quic',
      tlsProvider: 'noble',
      cipherSuite: 0x1301,
      peerCertificates: 2,
      echoed: 'pong:ping',
    });
  }, 30_000);
});

/**
 * Runs inside the browser-like realm (serialised with toString: it may use
 * only its parameters and the realm's globals). Returns JSON.
 */
async function smoke(
  wire: typeof import('@tsquic/quic-wire'),
  keys: typeof import('@tsquic/quic-crypto-keys'),
  tls: typeof import('@tsquic/tls13-handshake'),
  rec: typeof import('@tsquic/tls13-handshake/record'),
  fx: Record<string, number[]>,
): Promise<string> {
  const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  const unhex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g)!.map((h) => parseInt(h, 16)));
  const out: Record<string, unknown> = {};
  const g = globalThis as Record<string, unknown>;
  out.nodeGlobals = [typeof g.process, typeof g.Buffer, typeof g.require];

  // quic-wire: RFC 9000 §A.1 examples.
  const r = (s: string): InstanceType<typeof wire.Reader> => new wire.Reader(unhex(s));
  out.varints = [String(r('c2197c5eff14e88c').varintBig()), r('9d7f3e7d').varint(), r('7bbd').varint(), r('25').varint()];
  const buf = new Uint8Array(4);
  wire.writeVarint(buf, 0, 494878333);
  out.encoded = hex(buf);

  // quic-crypto-keys: RFC 9001 §A.1, and a packet sealed and opened with the initial keys.
  const provider = keys.defaultProvider();
  out.quicProvider = provider.name;
  const dcid = unhex('8394c8f03e515708');
  const secrets = keys.initialSecrets(keys.QuicVersion.V1, dcid);
  out.clientInitial = hex(secrets.client);
  const m = keys.keyMaterial(keys.QuicVersion.V1, keys.CipherSuite.TLS_AES_128_GCM_SHA256, secrets.client);
  Object.assign(out, { key: hex(m.key), iv: hex(m.iv), hp: hex(m.hp) });
  const client = keys.initialKeys(provider, keys.QuicVersion.V1, dcid, 'client');
  const server = keys.initialKeys(provider, keys.QuicVersion.V1, dcid, 'server');
  const header = unhex('c300000001088394c8f03e5157080000449e00000002');
  const sealed = client.write.packet.seal(2, header, new TextEncoder().encode('quic'));
  out.opened = new TextDecoder().decode(server.read.packet.open(2, header, sealed) ?? new Uint8Array());

  // tls13-handshake + ./record: a handshake with chain verification, then application data both ways.
  const crypto = tls.defaultCrypto();
  out.tlsProvider = crypto.name;
  const bytes = (a: number[]): Uint8Array => Uint8Array.from(a);
  const now = (): number => Date.UTC(2030, 0, 1);
  const a = new TransformStream<Uint8Array, Uint8Array>();
  const b = new TransformStream<Uint8Array, Uint8Array>();
  const c = tls.createClient({ profile: { kind: 'tls' }, alpn: ['smoke'], serverName: 'server.test', trustAnchors: [bytes(fx.root!)], crypto });
  const s = tls.createServer({ profile: { kind: 'tls' }, alpn: ['smoke'], certificateChain: [bytes(fx.leaf!), bytes(fx.inter!)], privateKey: bytes(fx.key!), crypto });
  const [cc, sc] = await Promise.all([
    rec.TlsConnection.open({ readable: b.readable, writable: a.writable }, c, { crypto, now }),
    rec.TlsConnection.open({ readable: a.readable, writable: b.writable }, s, { crypto, now, choose: () => ({}) }),
  ]);
  out.cipherSuite = cc.cipherSuite;
  out.peerCertificates = cc.peerCertificates.length;
  const read = async (conn: Awaited<ReturnType<typeof rec.TlsConnection.open>>): Promise<string> => {
    const reader = conn.readable.getReader();
    const { value } = await reader.read();
    reader.releaseLock();
    return new TextDecoder().decode(value);
  };
  const cw = cc.writable.getWriter();
  await cw.write(new TextEncoder().encode('ping'));
  const sw = sc.writable.getWriter();
  await sw.write(new TextEncoder().encode(`pong:${await read(sc)}`));
  out.echoed = await read(cc);
  cw.releaseLock();
  sw.releaseLock();
  await Promise.all([cc.close(), sc.close()]);
  return JSON.stringify(out);
}
