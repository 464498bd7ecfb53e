import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { aesBlockCipher } from '../src/block-cipher.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const ecb = (key: Uint8Array, block: Uint8Array, decrypt: boolean) => {
  const alg = key.length === 16 ? 'aes-128-ecb' : 'aes-256-ecb';
  const c = decrypt ? createDecipheriv(alg, key, null) : createCipheriv(alg, key, null);
  c.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(block), c.final()]));
};

describe('aesBlockCipher (FIPS 197)', () => {
  it('FIPS 197 Appendix C.1 and C.3: AES-128 and AES-256 of 00112233…eeff, both ways', () => {
    const pt = hex('00112233445566778899aabbccddeeff');
    const c128 = aesBlockCipher(hex('000102030405060708090a0b0c0d0e0f'));
    expect(Buffer.from(c128.encryptBlock(pt)).toString('hex')).toBe('69c4e0d86a7b0430d8cdb78070b4c55a');
    expect(c128.decryptBlock(hex('69c4e0d86a7b0430d8cdb78070b4c55a'))).toEqual(pt);
    const c256 = aesBlockCipher(hex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'));
    expect(Buffer.from(c256.encryptBlock(pt)).toString('hex')).toBe('8ea2b7ca516745bfeafc49904b496089');
    expect(c256.decryptBlock(hex('8ea2b7ca516745bfeafc49904b496089'))).toEqual(pt);
  });

  it('matches node:crypto AES-ECB on random keys and blocks, and leaves its input alone', () => {
    for (let i = 0; i < 200; i++) {
      const key = randomBytes(i % 2 ? 16 : 32);
      const c = aesBlockCipher(key);
      // An unaligned view: the cipher must not depend on the input's byte offset.
      const block = new Uint8Array(randomBytes(17).buffer, 1, 16);
      const copy = block.slice();
      const ct = c.encryptBlock(block);
      expect(ct).toEqual(ecb(key, block, false));
      expect(block).toEqual(copy);
      expect(c.decryptBlock(ct)).toEqual(block);
      expect(c.decryptBlock(block)).toEqual(ecb(key, block, true));
    }
  });

  it('refuses wrong key and block lengths with a RangeError', () => {
    expect(() => aesBlockCipher(new Uint8Array(24))).toThrow(RangeError);
    const c = aesBlockCipher(new Uint8Array(16));
    expect(() => c.encryptBlock(new Uint8Array(15))).toThrow(/16 bytes/);
    expect(() => c.decryptBlock(new Uint8Array(17))).toThrow(RangeError);
  });
});
