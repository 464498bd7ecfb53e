/**
 * @module bench
 * Full TLS 1.3 handshakes per second: our client+server in-process (x25519 +
 * ECDSA P-256), per crypto provider, without and with certificate chain
 * verification, against Node's own TLS 1.3 full handshake over loopback
 * (sequential, the same certificates and the same verification) measured in
 * the same run; the ratio is ours / Node's.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { connect, createServer as tlsServer } from 'node:tls';
import { createClient, createServer, TrustStore, type ClientConfig, type HandshakeCrypto, type HandshakeEvent } from '../src/index.js';
import { nobleCrypto } from '../src/crypto/noble.js';
import { nodeCrypto } from '../src/crypto/node.js';

const fx = (n: string) => new Uint8Array(readFileSync(new URL(`../test/fixtures/${n}`, import.meta.url)));
const pem = (der: Uint8Array, label: string) => `-----BEGIN ${label}-----\n${Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n')}\n-----END ${label}-----\n`;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const NOW = Date.UTC(2030, 0, 1);

// A CA-issued chain (leaf ← intermediate ← root), ECDSA P-256 throughout (test/fixtures/make-pki-fixtures.sh).
const chain = [fx('pki/leaf.der'), fx('pki/inter.der')];
const key = fx('pki/leaf.key.der');
const root = fx('pki/root-a.der');
const anchors = new TrustStore([root]);

function oneHandshake(crypto: HandshakeCrypto, verify: boolean): void {
  const cfg: ClientConfig = verify
    ? { profile: { kind: 'tls' }, alpn: ['h2'], crypto, groups: ['x25519'], trustAnchors: anchors, serverName: 'server.test' }
    : { profile: { kind: 'tls' }, alpn: ['h2'], crypto, groups: ['x25519'], verify: 'none' };
  const c = createClient(cfg);
  const s = createServer({ profile: { kind: 'tls' }, alpn: ['h2'], crypto, groups: ['x25519'], certificateChain: chain, privateKey: key });
  s.start(NOW);
  let toS: HandshakeEvent[] = c.start(NOW);
  while (toS.length > 0) {
    const toC: HandshakeEvent[] = [];
    for (const e of toS) {
      if (e.type !== 'handshake-data') continue;
      toC.push(...s.receive(e.level, e.bytes, NOW));
      if (s.state === 'suspended') toC.push(...s.accept({}));
    }
    toS = toC.flatMap((e) => (e.type === 'handshake-data' ? c.receive(e.level, e.bytes, NOW) : []));
  }
  if (c.state !== 'complete' || s.state !== 'complete') throw new Error('handshake did not complete');
}

function rateOf(f: () => void): number {
  const end = performance.now() + SECONDS * 1000;
  let n = 0;
  const t0 = performance.now();
  while (performance.now() < end) {
    f();
    n++;
  }
  return n / ((performance.now() - t0) / 1000);
}

async function nodeTlsRate(verify: boolean): Promise<number> {
  const server = tlsServer({ cert: chain.map((c) => pem(c, 'CERTIFICATE')).join(''), key: pem(key, 'PRIVATE KEY'), minVersion: 'TLSv1.3', ecdhCurve: 'X25519' }, (s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const opts = verify ? { ca: pem(root, 'CERTIFICATE'), servername: 'server.test' } : { rejectUnauthorized: false };
  const end = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  let n = 0;
  try {
    while (performance.now() < end) {
      await new Promise<void>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port, minVersion: 'TLSv1.3', ecdhCurve: 'X25519', ...opts }, () => {
          s.destroy();
          resolve();
        });
        s.on('error', reject);
        s.setTimeout(5000, () => reject(new Error('timeout')));
      });
      n++;
    }
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
  return n / ((performance.now() - t0) / 1000);
}

const PROVIDERS: [string, HandshakeCrypto][] = [
  ['nodeCrypto', nodeCrypto],
  ['nobleCrypto', nobleCrypto],
];

for (const verify of [false, true]) {
  const what = verify ? 'chain verified (leaf ← intermediate ← root)' : 'no certificate verification';
  const nodeRate = await nodeTlsRate(verify);
  console.log(`node:tls TLS 1.3 full handshakes over loopback, ${what}: ${nodeRate.toFixed(0)}/s`);
  for (const [name, crypto] of PROVIDERS) {
    oneHandshake(crypto, verify);
    const r = rateOf(() => oneHandshake(crypto, verify));
    console.log(`  @tsquic/tls13-handshake in-process, x25519 + ECDSA P-256, ${name}: ${r.toFixed(0)}/s — ratio to node:tls ${(r / nodeRate).toFixed(2)}x`);
  }
}
