/**
 * @module provider/make-node
 * The node:crypto provider, built from an injected `node:crypto` module so
 * that this file imports nothing from `node:*` itself: `./node` passes the
 * real module, and `defaultProvider()` passes the one
 * `process.getBuiltinModule` returns on Node, keeping the default entry
 * browser-safe.
 *
 * Per key: a KeyObject for the AEAD (Node has no reusable GCM context, so a
 * cipher per packet is unavoidable; the key import is not), and for AES
 * header protection one ECB cipher kept open forever (ECB is stateless per
 * block, so `update(sample)` on the same object yields each mask). ChaCha20
 * header protection uses noble's block function (see below).
 */
import type * as NodeCrypto from 'node:crypto';
import { checkKey, checkNonce, type Aead, type CryptoProvider, type HeaderMask } from '../provider.js';
import type { AeadAlgorithm, HeaderProtectionAlgorithm } from '../suites.js';
import { nobleProvider } from './noble.js';

type Crypto = Pick<typeof NodeCrypto, 'createCipheriv' | 'createDecipheriv' | 'createSecretKey' | 'getCiphers'>;

const TAG = 16;

export function makeNodeProvider(c: Crypto): CryptoProvider {
  // Runtimes that implement node:crypto without every AEAD (Bun has no chacha20-poly1305) get
  // noble's for the ones missing, so each suite of RFC 9001 §5.3 works wherever the provider loads.
  const available = new Set(c.getCiphers());
  return {
    name: 'node',
    aead(alg: AeadAlgorithm, key: Uint8Array): Aead {
      if (!available.has(alg)) return nobleProvider.aead(alg, key);
      checkKey(alg, key);
      const k = c.createSecretKey(key);
      const opts = { authTagLength: TAG } as const;
      const cipher = (nonce: Uint8Array, aad: Uint8Array) => {
        checkNonce(nonce);
        const ci = c.createCipheriv(alg as 'aes-128-gcm', k, nonce, opts);
        if (aad.length) ci.setAAD(aad);
        return ci;
      };
      return {
        seal(nonce, aad, plaintext) {
          const ci = cipher(nonce, aad);
          const out = new Uint8Array(plaintext.length + TAG);
          out.set(ci.update(plaintext));
          ci.final();
          out.set(ci.getAuthTag(), plaintext.length);
          return out;
        },
        sealInPlace(nonce, buf, aadStart, ptStart, ptEnd) {
          const ci = cipher(nonce, buf.subarray(aadStart, ptStart));
          buf.set(ci.update(buf.subarray(ptStart, ptEnd)), ptStart);
          ci.final();
          buf.set(ci.getAuthTag(), ptEnd);
        },
        open(nonce, aad, sealed) {
          checkNonce(nonce);
          if (sealed.length < TAG) return null;
          const d = c.createDecipheriv(alg as 'aes-128-gcm', k, nonce, opts);
          if (aad.length) d.setAAD(aad);
          d.setAuthTag(sealed.subarray(sealed.length - TAG));
          const pt = d.update(sealed.subarray(0, sealed.length - TAG));
          try {
            d.final();
          } catch {
            return null; // authentication failure: Node reports it only by throwing
          }
          return pt;
        },
      };
    },
    headerProtection(alg: HeaderProtectionAlgorithm, hpKey: Uint8Array): HeaderMask {
      checkKey(alg, hpKey);
      // A ChaCha20 mask needs a new cipher per sample in node:crypto (the IV is the sample); one
      // block of noble's ChaCha20 is cheaper than that cipher setup (measured in bench/), so use it.
      if (alg === 'chacha20') return nobleProvider.headerProtection(alg, hpKey);
      const ecb = c.createCipheriv(alg === 'aes-128' ? 'aes-128-ecb' : 'aes-256-ecb', hpKey, null);
      ecb.setAutoPadding(false);
      return (sample) => ecb.update(sample.subarray(0, 16));
    },
  };
}
