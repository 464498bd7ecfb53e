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

import { createPrivateKey, createPublicKey, randomBytes, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import type { AeadAlg, KeyShareClient, NamedGroup, SignatureScheme } from '../../src/crypto/provider.js';

/** ECDH groups on @noble/curves: x25519 (raw 32 bytes) and secp256r1 (uncompressed point, x-coordinate secret). */
const ECDH = {
  0x001d: {
    keygen: () => {
      const sk = x25519.utils.randomSecretKey();
      return { sk, pk: x25519.getPublicKey(sk) };
    },
    shared: (sk: Uint8Array, pk: Uint8Array) => (pk.length === 32 ? x25519.getSharedSecret(sk, pk) : null),
  },
  0x0017: {
    keygen: () => {
      const sk = p256.utils.randomSecretKey();
      return { sk, pk: p256.getPublicKey(sk, false) };
    },
    shared: (sk: Uint8Array, pk: Uint8Array) => (pk.length === 65 ? p256.getSharedSecret(sk, pk, true).subarray(1) : null),
  },
} as Record<number, { keygen(): { sk: Uint8Array; pk: Uint8Array }; shared(sk: Uint8Array, pk: Uint8Array): Uint8Array | null }>;

const safe = <T>(f: () => T): T | null => {
  try {
    return f();
  } catch {
    return null;
  }
};

const HASH_OF: Record<number, string> = { 0x0403: 'sha256', 0x0503: 'sha384', 0x0804: 'sha256', 0x0805: 'sha384', 0x0806: 'sha512' };

/**
 * A test-only provider until engineer B's nobleCrypto lands: ECDH and AEAD on @noble,
 * signatures on node:crypto. `fixedKeyShare` makes keyShare/respondKeyShare use a given private key (RFC 8448).
 */
export function makeTestCrypto(opts: { fixedX25519?: Uint8Array } = {}): HandshakeCrypto {
  return {
    ...hashOnlyCrypto,
    name: 'test',
    groups: [0x001d, 0x0017],
    randomBytes: (n) => new Uint8Array(randomBytes(n)),
    aead: (alg: AeadAlg, key: Uint8Array) => {
      const mk = alg === 'chacha20-poly1305' ? (n: Uint8Array, a: Uint8Array) => chacha20poly1305(key, n, a) : (n: Uint8Array, a: Uint8Array) => gcm(key, n, a);
      return { seal: (n, a, p) => mk(n, a).encrypt(p), open: (n, a, s) => safe(() => mk(n, a).decrypt(s)) };
    },
    keyShare: (group: NamedGroup): KeyShareClient => {
      const g = ECDH[group]!;
      const kp = group === 0x001d && opts.fixedX25519 ? { sk: opts.fixedX25519, pk: x25519.getPublicKey(opts.fixedX25519) } : g.keygen();
      return { group, publicKey: kp.pk, complete: (s) => safe(() => g.shared(kp.sk, s)) };
    },
    respondKeyShare: (group: NamedGroup, share: Uint8Array) => {
      const g = ECDH[group];
      if (!g) return null;
      const kp = group === 0x001d && opts.fixedX25519 ? { sk: opts.fixedX25519, pk: x25519.getPublicKey(opts.fixedX25519) } : g.keygen();
      const s = safe(() => g.shared(kp.sk, share));
      return s ? { publicKey: kp.pk, sharedSecret: s } : null;
    },
    signer: (pkcs8: Uint8Array) => {
      const key = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
      const schemes: SignatureScheme[] = key.asymmetricKeyType === 'ec' ? [0x0403] : key.asymmetricKeyType === 'ed25519' ? [0x0807] : [0x0804, 0x0805, 0x0806];
      return {
        schemes,
        sign: (scheme, data) =>
          new Uint8Array(
            nodeSign(HASH_OF[scheme] ?? null, data, scheme >= 0x0804 && scheme <= 0x0806 ? { key, padding: 6, saltLength: -1 } : { key, dsaEncoding: 'der' }),
          ),
      };
    },
    verify: (scheme, spki, data, sig) =>
      safe(() => {
        const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
        const k = scheme >= 0x0804 && scheme <= 0x0806 ? { key, padding: 6, saltLength: -1 } : { key, dsaEncoding: 'der' as const };
        return nodeVerify(HASH_OF[scheme] ?? null, data, k, sig);
      }) ?? false,
  };
}
