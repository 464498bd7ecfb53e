/**
 * @module crypto/schemes
 * RFC 8446 §4.2.3 signature schemes as (algorithm, hash, curve) rows, shared
 * by both providers, plus two small helpers.
 */
import type { Curve } from './der.js';
import type { HashAlg } from './provider.js';

export interface SchemeInfo {
  kind: 'ecdsa' | 'ed25519' | 'rsa-pss' | 'rsa-pkcs1';
  hash: HashAlg | null;
  /** TLS 1.3 ECDSA schemes bind the curve (RFC 8446 §4.2.3). */
  curve?: Curve;
}

export const SCHEMES: ReadonlyMap<number, SchemeInfo> = new Map<number, SchemeInfo>([
  [0x0403, { kind: 'ecdsa', hash: 'sha256', curve: 'P-256' }],
  [0x0503, { kind: 'ecdsa', hash: 'sha384', curve: 'P-384' }],
  [0x0807, { kind: 'ed25519', hash: null }],
  [0x0804, { kind: 'rsa-pss', hash: 'sha256' }],
  [0x0805, { kind: 'rsa-pss', hash: 'sha384' }],
  [0x0806, { kind: 'rsa-pss', hash: 'sha512' }],
  [0x0809, { kind: 'rsa-pss', hash: 'sha256' }], // rsa_pss_pss_*: same check, PSS-OID keys
  [0x080a, { kind: 'rsa-pss', hash: 'sha384' }],
  [0x080b, { kind: 'rsa-pss', hash: 'sha512' }],
  [0x0401, { kind: 'rsa-pkcs1', hash: 'sha256' }],
  [0x0501, { kind: 'rsa-pkcs1', hash: 'sha384' }],
  [0x0601, { kind: 'rsa-pkcs1', hash: 'sha512' }],
]);

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
