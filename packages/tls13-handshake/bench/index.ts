/**
 * @module bench
 * Full TLS 1.3 handshakes per second: our client+server in-process (x25519 +
 * ECDSA P-256), per available crypto provider, against Node's own TLS 1.3
 * full handshake over loopback (sequential), measured in the same run.
 */
import { readFileSync } from 'node:fs';
import { connect, createServer as tlsServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { createClient, createServer, type HandshakeCrypto, type HandshakeEvent } from '../src/index.js';
import { nobleCrypto } from '../src/crypto/noble.js';
import { nodeCrypto } from '../src/crypto/node.js';

const fx = (n: string) => readFileSync(new URL(`../test/fixtures/${n}`, import.meta.url));
const cert = new Uint8Array(fx('core-server-cert.der'));
const key = new Uint8Array(fx('core-server-key.der'));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);

function oneHandshake(crypto: HandshakeCrypto): void {
  const c = createClient({ profile: { kind: 'tls' }, alpn: ['h2'], crypto, groups: ['x25519'], verify: 'none' });
  const s = createServer({ profile: { kind: 'tls' }, alpn: ['h2'], crypto, groups: ['x25519'] });
  s.start(0);
  let toS: HandshakeEvent[] = c.start(0);
  while (toS.length > 0) {
    const toC: HandshakeEvent[] = [];
    for (const e of toS) {
      if (e.type !== 'handshake-data') continue;
      for (const x of s.receive(e.level, e.bytes, 0)) {
        toC.push(x);
        if (x.type === 'client-hello') toC.push(...s.accept({ certificateChain: [cert], privateKey: key, alpn: 'h2' }));
      }
    }
    toS = toC.flatMap((e) => (e.type === 'handshake-data' ? c.receive(e.level, e.bytes, 0) : []));
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

async function nodeTlsRate(): Promise<number> {
  const server = tlsServer({ cert: fx('core-server-cert.pem'), key: fx('core-server-key.pem'), minVersion: 'TLSv1.3', ecdhCurve: 'X25519' }, (s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const end = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  let n = 0;
  try {
    while (performance.now() < end) {
      await new Promise<void>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, minVersion: 'TLSv1.3', session: undefined }, () => {
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

const nodeRate = await nodeTlsRate();
console.log(`node:tls TLS 1.3 full handshakes over loopback (sequential): ${nodeRate.toFixed(0)}/s`);
for (const [name, crypto] of PROVIDERS) {
  oneHandshake(crypto);
  const r = rateOf(() => oneHandshake(crypto));
  console.log(`@tsquic/tls13-handshake in-process (x25519 + ECDSA P-256), ${name}: ${r.toFixed(0)}/s — ratio to node:tls ${(r / nodeRate).toFixed(2)}x`);
}
