/**
 * @module provider
 * The crypto provider seam (INTERFACES.md "quic-crypto-keys"): the two
 * per-packet primitives, an AEAD and a header-protection mask, each prepared
 * once per key. Everything is synchronous so the packet path stays sync.
 */
import type { AeadAlgorithm, HeaderProtectionAlgorithm } from './suites.js';

/** An AEAD prepared for one key (AES key expansion, GHASH tables or a KeyObject done once). */
export interface Aead {
  /** ciphertext ‖ 16-byte tag, in a new array. */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** The plaintext, or null when authentication fails (a packet to drop, never an exception). */
  open(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | null;
  /**
   * Seal `buf[ptStart, ptEnd)` in place and write the tag at `ptEnd`; the
   * associated data is `buf[aadStart, ptStart)`. `buf` needs 16 bytes of room
   * after `ptEnd`. The transport builds a whole packet in one buffer and calls this.
   */
  sealInPlace(nonce: Uint8Array, buf: Uint8Array, aadStart: number, ptStart: number, ptEnd: number): void;
}

/** RFC 9001 §5.4: 16 bytes of ciphertext sample in, at least 5 bytes of mask out. */
export type HeaderMask = (sample: Uint8Array) => Uint8Array;

/** The per-packet primitives, synchronous and prepared once per key: the seam between packet protection and a crypto library. */
export interface CryptoProvider {
  /** 'noble' (any runtime) or 'node' (node:crypto). */
  readonly name: string;
  /** An AEAD for `key` (16 or 32 bytes by `alg`); `RangeError` for a wrong key length. */
  aead(alg: AeadAlgorithm, key: Uint8Array): Aead;
  /** The header-protection mask function for `hpKey` (RFC 9001 §5.4.3 AES-ECB, §5.4.4 ChaCha20). */
  headerProtection(alg: HeaderProtectionAlgorithm, hpKey: Uint8Array): HeaderMask;
}

const KEY_LENGTH: Record<AeadAlgorithm | HeaderProtectionAlgorithm, number> = {
  'aes-128-gcm': 16,
  'aes-256-gcm': 32,
  'chacha20-poly1305': 32,
  'aes-128': 16,
  'aes-256': 32,
  chacha20: 32,
};

/** A wrong key length is a programming error (RangeError), checked once per key. */
export function checkKey(alg: AeadAlgorithm | HeaderProtectionAlgorithm, key: Uint8Array): void {
  const want = KEY_LENGTH[alg];
  if (want === undefined) throw new RangeError(`unknown algorithm ${alg}`);
  if (key.length !== want) throw new RangeError(`${alg} needs a ${want}-byte key, got ${key.length}`);
}

export function checkNonce(nonce: Uint8Array): void {
  if (nonce.length !== 12) throw new RangeError(`AEAD nonce must be 12 bytes, got ${nonce.length}`);
}
