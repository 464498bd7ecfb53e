/**
 * @module block-cipher
 * One AES block at a time under a key expanded once (FIPS 197; the ECB mode
 * of NIST SP 800-38A applied to a single block): the primitive QUIC-LB
 * (draft-ietf-quic-load-balancers §5.4.1 single pass, §5.4.2 four-pass
 * Feistel) encrypts and decrypts connection IDs with. On @noble/ciphers'
 * block function, so it runs in any JS runtime; a block costs well under a
 * microsecond, less than a node:crypto call would.
 */
import { unsafe } from '@noble/ciphers/aes.js';

/** A 16-byte block cipher with its key prepared; both methods return a new block. */
export interface BlockCipher {
  readonly blockSize: 16;
  /** Encrypts one 16-byte block (AES-ECB, no padding). */
  encryptBlock(block: Uint8Array): Uint8Array;
  /** Decrypts one 16-byte block. */
  decryptBlock(block: Uint8Array): Uint8Array;
}

function checkBlock(block: Uint8Array): void {
  if (block.length !== 16) throw new RangeError(`an AES block is 16 bytes, got ${block.length}`);
}

/** AES-128 or AES-256 by the key's length (16 or 32 bytes); the decryption key schedule is built on first use. */
export function aesBlockCipher(key: Uint8Array): BlockCipher {
  if (key.length !== 16 && key.length !== 32) throw new RangeError(`AES needs a 16- or 32-byte key, got ${key.length}`);
  const own = key.slice();
  const enc = unsafe.expandKeyLE(own);
  let dec: Uint32Array | undefined;
  return {
    blockSize: 16,
    encryptBlock(block) {
      checkBlock(block);
      return unsafe.encryptBlock(enc, block.slice());
    },
    decryptBlock(block) {
      checkBlock(block);
      dec ??= unsafe.expandKeyDecLE(own);
      return unsafe.decryptBlock(dec, block.slice());
    },
  };
}
