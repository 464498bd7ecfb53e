/**
 * @module test/record/helpers
 * Shared helpers for the record-layer tests: hex codecs and an AEAD over
 * @noble/ciphers with the HandshakeCrypto `Aead` shape.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import type { Aead, AeadAlg } from '../../src/crypto/provider.js';

export { hex, toHex } from '@tsquic/test-support/hex';

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** An AEAD on @noble/ciphers, independent of the package's providers. */
export function nobleAead(alg: AeadAlg, key: Uint8Array): Aead {
  const make = alg === 'chacha20-poly1305' ? chacha20poly1305 : gcm;
  return {
    seal: (nonce, aad, pt) => make(key, nonce, aad).encrypt(pt),
    open: (nonce, aad, ct) => {
      try {
        return make(key, nonce, aad).decrypt(ct);
      } catch {
        return null;
      }
    },
  };
}
