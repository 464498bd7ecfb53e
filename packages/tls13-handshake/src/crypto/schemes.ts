/**
 * @module crypto/schemes
 * RFC 8446 §4.2.3 signature schemes as the algorithm each names, shared by
 * both providers and the state machines, plus two small helpers.
 */
import type { HandshakeCrypto, SignatureAlgorithm } from './provider.js';

const pss = (hash: 'sha256' | 'sha384' | 'sha512', saltLength: number): SignatureAlgorithm => ({ kind: 'rsa-pss', hash, saltLength });

/** RFC 8446 §4.2.3: scheme → algorithm. The PSS salt is as long as the hash (§4.2.3 "RSASSA-PSS algorithms"). */
export const SCHEMES: ReadonlyMap<number, SignatureAlgorithm> = new Map<number, SignatureAlgorithm>([
  [0x0403, { kind: 'ecdsa', hash: 'sha256', curve: 'P-256' }],
  [0x0503, { kind: 'ecdsa', hash: 'sha384', curve: 'P-384' }],
  [0x0807, { kind: 'ed25519' }],
  [0x0804, pss('sha256', 32)],
  [0x0805, pss('sha384', 48)],
  [0x0806, pss('sha512', 64)],
  [0x0809, pss('sha256', 32)], // rsa_pss_pss_*: same check, PSS-OID keys
  [0x080a, pss('sha384', 48)],
  [0x080b, pss('sha512', 64)],
  [0x0401, { kind: 'rsa-pkcs1', hash: 'sha256' }],
  [0x0501, { kind: 'rsa-pkcs1', hash: 'sha384' }],
  [0x0601, { kind: 'rsa-pkcs1', hash: 'sha512' }],
]);

/** Verify a signature made with TLS signature scheme `scheme` (false for a scheme we do not know). */
export function verifyScheme(crypto: HandshakeCrypto, scheme: number, spki: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  const alg = SCHEMES.get(scheme);
  return alg !== undefined && crypto.verifySignature(alg, spki, data, signature);
}

export function safe<T>(f: () => T): T | null {
  try {
    return f();
  } catch {
    return null;
  }
}

export function isAllZero(b: Uint8Array): boolean {
  let x = 0;
  for (const v of b) x |= v;
  return x === 0;
}
