import { expand, extract } from '@noble/hashes/hkdf.js';
import { sha256, sha384 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { hkdfExpandLabel, hkdfExtract } from '../src/hkdf.js';

// On Node the HKDF runs on node:crypto's HMAC; @noble/hashes' RFC 5869 implementation is the reference.
const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 29 + seed) & 0xff);
const label = (name: string, context: Uint8Array, length: number) => {
  const full = new TextEncoder().encode(`tls13 ${name}`);
  return Uint8Array.of(length >> 8, length & 0xff, full.length, ...full, context.length, ...context);
};

describe('HKDF (RFC 5869) behind HKDF-Expand-Label (RFC 8446 §7.1)', () => {
  for (const [name, hash] of [
    ['sha256', sha256],
    ['sha384', sha384],
  ] as const) {
    it(`${name}: extract and expand match the reference for every output length up to 3 blocks`, () => {
      const salt = bytes(20, 1);
      const ikm = bytes(33, 2);
      expect(hkdfExtract(name, salt, ikm)).toEqual(extract(hash, ikm, salt));
      expect(hkdfExtract(name, new Uint8Array(0), ikm)).toEqual(extract(hash, ikm, new Uint8Array(0)));
      const prk = extract(hash, ikm, salt);
      for (let n = 1; n <= 3 * hash.outputLen; n++) {
        expect(hkdfExpandLabel(name, prk, 'quic key', bytes(n % 7, 3), n)).toEqual(expand(hash, prk, label('quic key', bytes(n % 7, 3), n), n));
      }
    });
  }
});
