/**
 * @module test/record/test-crypto
 * The crypto the record-layer tests use — AEAD, hash and HMAC on @noble,
 * independent of the package's providers — and an independent RFC 8446 §7.3
 * traffic-key derivation (@noble/hashes HKDF) to check records after a key change.
 */
import { expand } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import type { HandshakeCrypto, HashAlg } from '../../src/crypto/provider.js';
import { nobleAead } from './helpers.js';

const H = { sha256, sha384, sha512 } as const;
const unused = (): never => {
  throw new Error('not used by the record layer');
};

export const testCrypto: HandshakeCrypto = {
  name: 'test-noble',
  groups: [],
  randomBytes: unused,
  hash: (alg: HashAlg, data: Uint8Array) => H[alg](data),
  hmac: (alg: HashAlg, key: Uint8Array, data: Uint8Array) => hmac(H[alg], key, data),
  aead: nobleAead,
  keyShare: unused,
  respondKeyShare: unused,
  signer: unused,
  verifySignature: unused,
};

function hkdfExpandLabel(secret: Uint8Array, label: string, length: number): Uint8Array {
  const full = new TextEncoder().encode(`tls13 ${label}`);
  const info = new Uint8Array([length >> 8, length & 0xff, full.length, ...full, 0]);
  return expand(sha256, secret, info, length);
}

/** RFC 8446 §7.3 for TLS_AES_128_GCM_SHA256. */
export function expectedTrafficKeys(secret: Uint8Array): { key: Uint8Array; iv: Uint8Array } {
  return { key: hkdfExpandLabel(secret, 'key', 16), iv: hkdfExpandLabel(secret, 'iv', 12) };
}
