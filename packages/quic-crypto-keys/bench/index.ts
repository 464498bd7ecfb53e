/**
 * Packet protection throughput, side by side in one run: seal+open per suite
 * and provider at 1,200 and 16,384 bytes, header-protection masks/s, and raw
 * node:crypto AEAD (a createCipheriv/createDecipheriv per packet with a raw
 * key, the ceiling for any wrapper) — with the ratio node provider / raw.
 *   pnpm --filter @tsquic/quic-crypto-keys bench   (BENCH_SECONDS per row, default 1)
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CipherSuite, keysFromSecret, nobleProvider, QuicVersion, suiteParams, type CryptoProvider } from '../src/index.js';
import { nodeProvider } from '../src/provider/node.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
const SIZES = [1200, 16384];
const SUITES = [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_CHACHA20_POLY1305_SHA256];
const NAMES: Record<number, string> = { 0x1301: 'AES-128-GCM', 0x1302: 'AES-256-GCM', 0x1303: 'CHACHA20-POLY1305' };

function rate(body: () => void): number {
  for (let i = 0; i < 200; i++) body();
  let n = 0;
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 50; i++) body();
    n += 50;
  }
  return n / ((performance.now() - t0) / 1000);
}

const header = new Uint8Array(randomBytes(20));
const results: Array<Record<string, string | number>> = [];

function providerRow(p: CryptoProvider, suite: number, size: number): number {
  const k = keysFromSecret(p, QuicVersion.V1, suite, new Uint8Array(randomBytes(suite === 0x1302 ? 48 : 32)));
  const buf = new Uint8Array(header.length + size + 16);
  buf.set(header);
  let pn = 0;
  return rate(() => {
    k.packet.sealInPlace(pn, buf, 0, header.length, header.length + size);
    if (!k.packet.open(pn, buf.subarray(0, header.length), buf.subarray(header.length))) throw new Error('open failed');
    pn++;
  });
}

function rawRow(suite: number, size: number): number {
  const alg = suiteParams(suite).aead;
  const key = randomBytes(suiteParams(suite).keyLength);
  const nonce = randomBytes(12);
  const payload = randomBytes(size);
  return rate(() => {
    const c = createCipheriv(alg as 'aes-128-gcm', key, nonce, { authTagLength: 16 });
    c.setAAD(header);
    const ct = c.update(payload);
    c.final();
    const tag = c.getAuthTag();
    const d = createDecipheriv(alg as 'aes-128-gcm', key, nonce, { authTagLength: 16 });
    d.setAAD(header);
    d.setAuthTag(tag);
    d.update(ct);
    d.final();
  });
}

console.log(`packet protection, seal + open per packet (${SECONDS}s per row)`);
console.log(`${'suite'.padEnd(18)} ${'size'.padStart(6)} ${'raw node:crypto'.padStart(16)} ${'node provider'.padStart(14)} ${'noble provider'.padStart(15)}   node/raw`);
for (const suite of SUITES) {
  for (const size of SIZES) {
    const raw = rawRow(suite, size);
    const node = providerRow(nodeProvider, suite, size);
    const noble = providerRow(nobleProvider, suite, size);
    const mbs = (r: number) => `${((r * size) / 1e6).toFixed(0)} MB/s`;
    console.log(`${NAMES[suite]!.padEnd(18)} ${String(size).padStart(6)} ${mbs(raw).padStart(16)} ${mbs(node).padStart(14)} ${mbs(noble).padStart(15)}   ${(node / raw).toFixed(2)}`);
    results.push({ suite: NAMES[suite]!, size, rawPps: Math.round(raw), nodePps: Math.round(node), noblePps: Math.round(noble), ratio: +(node / raw).toFixed(3) });
  }
}

console.log('\nheader protection masks per second');
for (const alg of ['aes-128', 'aes-256', 'chacha20'] as const) {
  const key = new Uint8Array(randomBytes(alg === 'aes-128' ? 16 : 32));
  const sample = new Uint8Array(randomBytes(16));
  const row = [nodeProvider, nobleProvider].map((p) => {
    const mask = p.headerProtection(alg, key);
    return `${p.name} ${(rate(() => mask(sample)) / 1e6).toFixed(2)} M/s`;
  });
  console.log(`${alg.padEnd(10)} ${row.join('   ')}`);
}
if (process.env.BENCH_JSON) console.log(JSON.stringify(results));
