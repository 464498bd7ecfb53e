/**
 * @module hkdf
 * HKDF-Extract and HKDF-Expand-Label (RFC 5869, RFC 8446 §7.1) for SHA-256
 * and SHA-384 — the key derivation behind every QUIC packet key (RFC 9001
 * §5.1). Not on the per-packet path, so it stays on @noble/hashes.
 */
import { extract, expand } from '@noble/hashes/hkdf.js';
import { sha256, sha384 } from '@noble/hashes/sha2.js';

export type HashName = 'sha256' | 'sha384';
const HASH = { sha256, sha384 } as const;
const enc = new TextEncoder();

export function hashLength(hash: HashName): number {
  return HASH[hash].outputLen;
}

export function hkdfExtract(hash: HashName, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return extract(HASH[hash], ikm, salt);
}

/** RFC 8446 §7.1: HKDF-Expand(secret, HkdfLabel{length, "tls13 " + label, context}, length). */
export function hkdfExpandLabel(hash: HashName, secret: Uint8Array, label: string, context: Uint8Array, length: number): Uint8Array {
  const full = enc.encode(`tls13 ${label}`);
  if (full.length > 255 || context.length > 255) throw new RangeError('HKDF label or context too long');
  const info = new Uint8Array(2 + 1 + full.length + 1 + context.length);
  info[0] = length >>> 8;
  info[1] = length & 0xff;
  info[2] = full.length;
  info.set(full, 3);
  info[3 + full.length] = context.length;
  info.set(context, 4 + full.length);
  return expand(HASH[hash], secret, info, length);
}
