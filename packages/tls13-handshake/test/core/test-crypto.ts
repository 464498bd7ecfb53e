/**
 * @module test/core/test-crypto
 * The crypto the core tests use: the package's nobleCrypto when engineer B's
 * provider is present, else a small shim on @noble/hashes (hash/HMAC only).
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import type { HandshakeCrypto, HashAlg } from '../../src/crypto/provider.js';

const H = { sha256, sha384, sha512 } as const;
const unused = (): never => {
  throw new Error('not available in the hash-only test shim');
};

export const hashOnlyCrypto: HandshakeCrypto = {
  name: 'test-hash-only',
  groups: [],
  randomBytes: unused,
  hash: (alg: HashAlg, data: Uint8Array) => H[alg](data),
  hmac: (alg: HashAlg, key: Uint8Array, data: Uint8Array) => hmac(H[alg], key, data),
  aead: unused,
  keyShare: unused,
  respondKeyShare: unused,
  signer: unused,
  verify: unused,
};
