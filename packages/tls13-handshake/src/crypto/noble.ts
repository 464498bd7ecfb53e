/**
 * @module crypto/noble
 * `nobleCrypto`: the browser-safe HandshakeCrypto on @noble/* — X25519,
 * P-256 and P-384 ECDHE (RFC 8446 §4.2.8.2, §7.4), the X25519MLKEM768 hybrid
 * (draft-ietf-tls-ecdhe-mlkem: ML-KEM-768 ‖ X25519), ECDSA and Ed25519
 * signatures, RSA verification in plain BigInt (crypto/rsa.ts), SHA-2,
 * HMAC and AEAD. Synchronous throughout; RSA *signing* needs the node provider.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { p256, p384 } from '@noble/curves/nist.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { parsePkcs8, parseSpki, type Curve } from './der.js';
import { hybridClientShare, hybridRespond, type Dh } from './hybrid.js';
import { NamedGroup, SignatureScheme, type Aead, type AeadAlg, type HandshakeCrypto, type HashAlg, type SignatureAlgorithm, type Signer } from './provider.js';
import { verifyPkcs1, verifyPss } from './rsa.js';
import { isAllZero, safe } from './schemes.js';

const HASH = { sha256, sha384, sha512 } as const;
const CURVE = { 'P-256': p256, 'P-384': p384 } as const;

function weierstrass(curve: Curve): Dh {
  const c = CURVE[curve];
  const len = curve === 'P-256' ? 65 : 97;
  return {
    keygen() {
      const sk = c.utils.randomSecretKey();
      return { sk, pk: c.getPublicKey(sk, false) };
    },
    // RFC 8446 §4.2.8.2: uncompressed points only; the shared secret is the x-coordinate.
    shared: (sk, peer) => (peer.length === len && peer[0] === 4 ? safe(() => c.getSharedSecret(sk, peer, true).subarray(1)) : null),
  };
}

const X25519: Dh = {
  keygen() {
    const sk = x25519.utils.randomSecretKey();
    return { sk, pk: x25519.getPublicKey(sk) };
  },
  // RFC 8446 §7.4.2: an all-zero X25519 result means a small-order point: refuse it.
  shared: (sk, peer) => {
    if (peer.length !== 32) return null;
    const s = safe(() => x25519.getSharedSecret(sk, peer));
    return s && !isAllZero(s) ? s : null;
  },
};

const ECDH: Partial<Record<NamedGroup, Dh>> = {
  [NamedGroup.x25519]: X25519,
  [NamedGroup.secp256r1]: weierstrass('P-256'),
  [NamedGroup.secp384r1]: weierstrass('P-384'),
};

/** A prepared signer for a PKCS#8 key (TypeError for keys this provider cannot use). */
function nobleSigner(pkcs8: Uint8Array): Signer {
  const k = parsePkcs8(pkcs8);
  if (!k) throw new TypeError('privateKey is not a PKCS#8 DER key this provider understands');
  if (k.kind === 'rsa') throw new TypeError('RSA signing needs the node crypto provider (@tsquic/tls13-handshake/node)');
  if (k.kind === 'ed25519') {
    const seed = k.seed.slice();
    return { schemes: [SignatureScheme.ed25519], sign: (_s, data) => ed25519.sign(data, seed) };
  }
  const d = k.d.slice();
  const c = CURVE[k.curve];
  const scheme = k.curve === 'P-256' ? SignatureScheme.ecdsa_secp256r1_sha256 : SignatureScheme.ecdsa_secp384r1_sha384;
  return { schemes: [scheme], sign: (_s, data) => c.sign(data, d, { prehash: true, format: 'der' }) };
}

/** Verify with the named algorithm; false on any mismatch or malformed input. */
export function nobleVerify(alg: SignatureAlgorithm, spki: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  const key = parseSpki(spki);
  if (!key) return false;
  return (
    safe(() => {
      switch (alg.kind) {
        case 'ed25519':
          return key.kind === 'ed25519' && ed25519.verify(signature, data, key.key);
        case 'ecdsa': {
          if (key.kind !== 'ec' || (alg.curve && alg.curve !== key.curve)) return false;
          // Hash explicitly: X.509 allows e.g. SHA-256 with a P-384 key. lowS: false, as OpenSSL signs high-S half the time.
          const digest = HASH[alg.hash](data);
          return CURVE[key.curve].verify(signature, digest, key.point, { prehash: false, lowS: false, format: 'der' });
        }
        case 'rsa-pss':
          return key.kind === 'rsa' && verifyPss(HASH[alg.hash], key.n, key.e, key.modulusBytes, data, signature, alg.saltLength);
        case 'rsa-pkcs1':
          return key.kind === 'rsa' && verifyPkcs1(alg.hash, HASH[alg.hash], key.n, key.e, key.modulusBytes, data, signature);
      }
    }) ?? false
  );
}

function nobleAead(alg: AeadAlg, key: Uint8Array): Aead {
  const k = key.slice();
  const mk = alg === 'chacha20-poly1305' ? (n: Uint8Array, a: Uint8Array) => chacha20poly1305(k, n, a) : (n: Uint8Array, a: Uint8Array) => gcm(k, n, a);
  return {
    seal: (nonce, aad, plaintext) => mk(nonce, aad).encrypt(plaintext),
    open: (nonce, aad, sealed) => (sealed.length < 16 ? null : safe(() => mk(nonce, aad).decrypt(sealed))),
  };
}

/** The HandshakeCrypto on @noble/*: any JavaScript runtime, no Node API (RSA verification only). */
export const nobleCrypto: HandshakeCrypto = {
  name: 'noble',
  groups: [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1, NamedGroup.x25519mlkem768],
  randomBytes: (n) => randomBytes(n),
  hash: (alg: HashAlg, data) => HASH[alg](data),
  runningHash(alg) {
    const h = HASH[alg].create();
    return {
      update: (data) => void h.update(data),
      digest: (extra) => (extra ? h.clone().update(extra) : h.clone()).digest(),
    };
  },
  hmac: (alg: HashAlg, key, data) => hmac(HASH[alg], key, data),
  aead: nobleAead,
  keyShare(group) {
    if (group === NamedGroup.x25519mlkem768) return hybridClientShare(X25519);
    const g = ECDH[group];
    if (!g) throw new TypeError(`group 0x${group.toString(16)} is not supported`);
    const kp = g.keygen();
    return { group, publicKey: kp.pk, complete: (s) => g.shared(kp.sk, s) };
  },
  respondKeyShare(group, share) {
    if (group === NamedGroup.x25519mlkem768) return hybridRespond(X25519, share);
    const g = ECDH[group];
    if (!g) return null;
    const kp = g.keygen();
    const s = g.shared(kp.sk, share);
    return s ? { publicKey: kp.pk, sharedSecret: s } : null;
  },
  signer: nobleSigner,
  verifySignature: nobleVerify,
};

/** The `#default-crypto` target outside Node (package.json `imports`). */
export const defaultProvider: HandshakeCrypto = nobleCrypto;
