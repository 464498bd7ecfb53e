/**
 * @module bench
 * What a server start and a pinning client pay: self-signed certificate
 * generation per key type (key generation included), issuing from a CA with an
 * existing key, inspecting a certificate, and computing an SPKI pin — with
 * `openssl req -x509` (a process per certificate) as the yardstick for generation.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCert } from '@tsquic/test-support/peers';
import { createCa, generateKeyPair, generateSelfSigned, inspectCertificate, issueCertificate, KEY_TYPES, spkiSha256 } from '../src/index.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);

async function rateOf(f: () => unknown): Promise<number> {
  const end = performance.now() + SECONDS * 1000;
  const start = performance.now();
  let n = 0;
  while (performance.now() < end || n < 3) {
    await f();
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

const fmt = (r: number): string => (r >= 100 ? r.toFixed(0) : r.toFixed(1));

for (const keyType of KEY_TYPES) {
  console.log(`generateSelfSigned (${keyType}, new key): ${fmt(await rateOf(() => generateSelfSigned({ keyType })))}/s`);
}
const ca = await createCa();
const key = await generateKeyPair('p256');
console.log(`issueCertificate (P-256 CA, existing P-256 key): ${fmt(await rateOf(() => issueCertificate(ca, { key })))}/s`);
const leaf = (await issueCertificate(ca, { key })).certificate;
console.log(`inspectCertificate: ${fmt(await rateOf(() => inspectCertificate(leaf)))}/s`);
console.log(`spkiSha256 (certificate): ${fmt(await rateOf(() => spkiSha256(leaf)))}/s`);

const dir = mkdtempSync(join(tmpdir(), 'cert-tool-bench-'));
try {
  // The same certificate made by openssl, one process per certificate (days 2 rather than 365: the cost is the same).
  const openssl = (): void => void makeCert(dir, { cert: 'c.pem', key: 'k.pem' });
  if (spawnSync('openssl', ['version']).status === 0) console.log(`openssl req -x509 (P-256, one process each): ${fmt(await rateOf(openssl))}/s`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
