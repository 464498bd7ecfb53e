/**
 * @module provider/noble
 * The default crypto provider, on @noble/ciphers: runs in browsers and any
 * JS runtime. AES-GCM (NIST SP 800-38D) is assembled here from noble's
 * block cipher, CTR and GHASH so that the key expansion and the GHASH tables
 * are built once per key instead of once per packet (noble's `gcm()` redoes
 * both on every call). ChaCha20-Poly1305 (RFC 8439) has no key schedule, so
 * noble's AEAD is used as is. Header protection masks follow RFC 9001 §5.4.3
 * (AES-ECB of the sample) and §5.4.4 (ChaCha20 keyed by the sample).
 */
import { GHASH } from '@noble/ciphers/_polyval.js';
import { unsafe } from '@noble/ciphers/aes.js';
import { chacha20, chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { checkKey, checkNonce, type Aead, type CryptoProvider, type HeaderMask } from '../provider.js';
import type { AeadAlgorithm, HeaderProtectionAlgorithm } from '../suites.js';

const TAG = 16;

/** GHASH whose precomputed key tables are reused across messages. */
class ReusableGhash extends GHASH {
  reset(): this {
    this.s0 = this.s1 = this.s2 = this.s3 = 0;
    this.finished = false;
    return this;
  }
}

function aligned(b: Uint8Array): Uint8Array {
  return b.byteOffset % 4 === 0 ? b : b.slice();
}

function equal16(a: Uint8Array, b: Uint8Array): boolean {
  let d = 0;
  for (let i = 0; i < 16; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** AES-GCM with a 12-byte nonce and the key prepared once. */
class PreparedGcm implements Aead {
  private readonly xk: Uint32Array;
  private readonly ghash: ReusableGhash;
  private readonly counter = new Uint8Array(16);
  private readonly tagMask = new Uint8Array(16);
  private readonly lengths = new Uint8Array(16);
  private readonly tag = new Uint8Array(16);

  constructor(key: Uint8Array) {
    this.xk = unsafe.expandKeyLE(key);
    const h = unsafe.encryptBlock(this.xk, new Uint8Array(16)); // H = E_K(0^128)
    this.ghash = new ReusableGhash(h, 1500);
  }

  /** J0 = nonce ‖ 0x00000001; the tag mask is E_K(J0) and the payload counter starts at inc32(J0). */
  private start(nonce: Uint8Array): void {
    checkNonce(nonce);
    const c = this.counter;
    c.set(nonce);
    c[12] = 0;
    c[13] = 0;
    c[14] = 0;
    c[15] = 1;
    this.tagMask.set(c);
    unsafe.encryptBlock(this.xk, this.tagMask);
    c[15] = 2;
  }

  private computeTag(aad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    const g = this.ghash.reset();
    if (aad.length) g.update(aad);
    if (ciphertext.length) g.update(ciphertext);
    const l = this.lengths;
    const view = new DataView(l.buffer);
    view.setUint32(0, Math.floor((aad.length * 8) / 2 ** 32));
    view.setUint32(4, (aad.length * 8) >>> 0);
    view.setUint32(8, Math.floor((ciphertext.length * 8) / 2 ** 32));
    view.setUint32(12, (ciphertext.length * 8) >>> 0);
    g.update(l);
    g.digestInto(this.tag);
    for (let i = 0; i < 16; i++) this.tag[i]! ^= this.tagMask[i]!;
    return this.tag;
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    this.start(nonce);
    const out = new Uint8Array(plaintext.length + TAG);
    const ct = out.subarray(0, plaintext.length);
    if (plaintext.length) unsafe.ctr32(this.xk, false, this.counter, aligned(plaintext), ct);
    out.set(this.computeTag(aad, ct), plaintext.length);
    return out;
  }

  open(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | null {
    if (sealed.length < TAG) return null;
    this.start(nonce);
    const ct = sealed.subarray(0, sealed.length - TAG);
    // Verify before decrypting: no unauthenticated plaintext is ever produced.
    if (!equal16(this.computeTag(aad, ct), sealed.subarray(sealed.length - TAG))) return null;
    const out = new Uint8Array(ct.length);
    if (ct.length) unsafe.ctr32(this.xk, false, this.counter, aligned(ct), out);
    return out;
  }

  sealInPlace(nonce: Uint8Array, buf: Uint8Array, aadStart: number, ptStart: number, ptEnd: number): void {
    const sealed = this.seal(nonce, buf.subarray(aadStart, ptStart), buf.subarray(ptStart, ptEnd));
    buf.set(sealed, ptStart);
  }
}

class NobleChacha implements Aead {
  constructor(private readonly key: Uint8Array) {}

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    checkNonce(nonce);
    return chacha20poly1305(this.key, nonce, aad).encrypt(plaintext);
  }

  open(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | null {
    checkNonce(nonce);
    if (sealed.length < TAG) return null;
    try {
      return chacha20poly1305(this.key, nonce, aad).decrypt(sealed);
    } catch {
      return null; // authentication failure
    }
  }

  sealInPlace(nonce: Uint8Array, buf: Uint8Array, aadStart: number, ptStart: number, ptEnd: number): void {
    buf.set(this.seal(nonce, buf.subarray(aadStart, ptStart), buf.subarray(ptStart, ptEnd)), ptStart);
  }
}

const ZERO5 = new Uint8Array(5);

/** The provider on @noble/ciphers: any JavaScript runtime, no Node API; AES key expansion and GHASH tables computed once per key. */
export const nobleProvider: CryptoProvider = {
  name: 'noble',
  aead(alg: AeadAlgorithm, key: Uint8Array): Aead {
    checkKey(alg, key);
    return alg === 'chacha20-poly1305' ? new NobleChacha(key.slice()) : new PreparedGcm(key);
  },
  headerProtection(alg: HeaderProtectionAlgorithm, hpKey: Uint8Array): HeaderMask {
    checkKey(alg, hpKey);
    if (alg === 'chacha20') {
      const key = hpKey.slice();
      // RFC 9001 §5.4.4: counter = sample[0..4] little-endian, nonce = sample[4..16], mask = ChaCha20 of five zero bytes.
      return (sample) => {
        const counter = (sample[0]! | (sample[1]! << 8) | (sample[2]! << 16) | (sample[3]! << 24)) >>> 0;
        return chacha20(key, sample.subarray(4, 16), ZERO5, undefined, counter);
      };
    }
    const xk = unsafe.expandKeyLE(hpKey);
    // RFC 9001 §5.4.3: mask = AES-ECB(hp_key, sample).
    return (sample) => unsafe.encryptBlock(xk, sample.slice(0, 16));
  },
};

/** The `#default-provider` target outside Node (package.json `imports`). */
export const defaultProvider: CryptoProvider = nobleProvider;
