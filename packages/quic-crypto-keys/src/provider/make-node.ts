/**
 * @module provider/make-node
 * The node:crypto provider, built from an injected `node:crypto` module so
 * that this file imports nothing from `node:*` itself: `./node` passes the
 * real module, and `defaultProvider()` passes the one
 * `process.getBuiltinModule` returns on Node, keeping the default entry
 * browser-safe.
 *
 * Per key: a copy of the raw AEAD key (Node has no reusable GCM context, so
 * a cipher per packet is unavoidable; a KeyObject made per key saves that
 * cipher nothing — seal of 1,452 B: 9.52 µs best with one, 9.36 without —
 * and costs ~3.4 µs and a native object per key, five or six keys per
 * handshake), and for AES header protection one ECB cipher kept open
 * forever (ECB is stateless per block, so `update(sample)` on the same
 * object yields each mask). ChaCha20 header protection uses noble's block
 * function (see below).
 */
import type * as NodeCrypto from 'node:crypto';
import { checkKey, checkNonce, type Aead, type CryptoProvider, type HeaderMask } from '../provider.js';
import type { AeadAlgorithm, HeaderProtectionAlgorithm } from '../suites.js';
import { nobleProvider } from './noble.js';

type Crypto = Pick<typeof NodeCrypto, 'createCipheriv' | 'createDecipheriv' | 'getCiphers'>;

const TAG = 16;

/**
 * One AEAD key: an object whose methods live on the prototype (not four
 * closures and a context per key: a connection holds three or four keys
 * for its whole life, so their size is its heap).
 */
class NodeAead implements Aead {
  /** Our own copy: the caller's buffer may be reused or wiped. */
  private readonly key: Uint8Array;

  constructor(
    private readonly c: Crypto,
    private readonly alg: 'aes-128-gcm',
    key: Uint8Array,
  ) {
    this.key = key.slice();
  }

  private cipher(nonce: Uint8Array, aad: Uint8Array): NodeCrypto.CipherGCM {
    checkNonce(nonce);
    // No options object: the tag length defaults to 16 for GCM and ChaCha20-Poly1305, and the options cost
    // per packet (1,452-B packets, best of 9: seal 5.3 vs 5.7 µs, open 4.9 vs 6.4 µs).
    const ci = this.c.createCipheriv(this.alg, this.key, nonce);
    if (aad.length) ci.setAAD(aad);
    return ci;
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const ci = this.cipher(nonce, aad);
    const out = new Uint8Array(plaintext.length + TAG);
    out.set(ci.update(plaintext));
    ci.final();
    out.set(ci.getAuthTag(), plaintext.length);
    return out;
  }

  sealInPlace(nonce: Uint8Array, buf: Uint8Array, aadStart: number, ptStart: number, ptEnd: number): void {
    const ci = this.cipher(nonce, buf.subarray(aadStart, ptStart));
    buf.set(ci.update(buf.subarray(ptStart, ptEnd)), ptStart);
    ci.final();
    buf.set(ci.getAuthTag(), ptEnd);
  }

  open(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | null {
    checkNonce(nonce);
    if (sealed.length < TAG) return null;
    const d = this.c.createDecipheriv(this.alg, this.key, nonce);
    if (aad.length) d.setAAD(aad);
    // Always a 16-byte tag (RFC 9001 §5.3): without authTagLength, Node would also accept shorter GCM tags.
    d.setAuthTag(sealed.subarray(sealed.length - TAG));
    const pt = d.update(sealed.subarray(0, sealed.length - TAG));
    try {
      d.final();
    } catch {
      return null; // authentication failure: Node reports it only by throwing
    }
    return pt;
  }
}

export function makeNodeProvider(c: Crypto): CryptoProvider {
  // Runtimes that implement node:crypto without every AEAD (Bun has no chacha20-poly1305) get
  // noble's for the ones missing, so each suite of RFC 9001 §5.3 works wherever the provider loads.
  const available = new Set(c.getCiphers());
  return {
    name: 'node',
    aead(alg: AeadAlgorithm, key: Uint8Array): Aead {
      if (!available.has(alg)) return nobleProvider.aead(alg, key);
      checkKey(alg, key);
      return new NodeAead(c, alg as 'aes-128-gcm', key);
    },
    headerProtection(alg: HeaderProtectionAlgorithm, hpKey: Uint8Array): HeaderMask {
      checkKey(alg, hpKey);
      // A ChaCha20 mask needs a new cipher per sample in node:crypto (the IV is the sample); one
      // block of noble's ChaCha20 is cheaper than that cipher setup (measured in bench/), so use it.
      if (alg === 'chacha20') return nobleProvider.headerProtection(alg, hpKey);
      const ecb = c.createCipheriv(alg === 'aes-128' ? 'aes-128-ecb' : 'aes-256-ecb', hpKey, null);
      ecb.setAutoPadding(false);
      return (sample) => ecb.update(sample.length === 16 ? sample : sample.subarray(0, 16));
    },
  };
}
