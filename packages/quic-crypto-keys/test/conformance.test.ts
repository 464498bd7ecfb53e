/**
 * The provider conformance suite: every provider against every other, for
 * all three suites — cross-opening, tampering, header protection round
 * trips, and the programming-error checks.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CipherSuite, defaultProvider, keysFromSecret, nobleProvider, QuicVersion, suiteParams } from '../src/index.js';
import { PROVIDERS } from './providers.js';

const SUITES = [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_CHACHA20_POLY1305_SHA256];
const rnd = (n: number) => new Uint8Array(randomBytes(n));

describe('provider conformance', () => {
  for (const suite of SUITES) {
    const secret = rnd(suite === CipherSuite.TLS_AES_256_GCM_SHA384 ? 48 : 32);
    for (const a of PROVIDERS) {
      for (const b of PROVIDERS) {
        it(`suite 0x${suite.toString(16)}: sealed by ${a.name}, opened by ${b.name}`, () => {
          const ka = keysFromSecret(a, QuicVersion.V1, suite, secret);
          const kb = keysFromSecret(b, QuicVersion.V1, suite, secret);
          for (const size of [0, 1, 15, 16, 17, 1200, 16384]) {
            const header = rnd(1 + (size % 30));
            const payload = rnd(size);
            const pn = Math.floor(Math.random() * 2 ** 40);
            const sealed = ka.packet.seal(pn, header, payload);
            expect(sealed.length).toBe(size + 16);
            expect(Buffer.from(kb.packet.open(pn, header, sealed)!)).toEqual(Buffer.from(payload));
            expect(kb.packet.open(pn + 1, header, sealed)).toBeNull();
          }
        });
      }
    }

    for (const p of PROVIDERS) {
      it(`suite 0x${suite.toString(16)} (${p.name}): flipping any bit of header or payload fails open`, () => {
        const k = keysFromSecret(p, QuicVersion.V2, suite, secret);
        const header = rnd(20);
        const payload = rnd(100);
        const sealed = k.packet.seal(7, header, payload);
        for (let i = 0; i < header.length; i++) {
          const h = header.slice();
          h[i] = h[i]! ^ (1 << (i % 8));
          expect(k.packet.open(7, h, sealed)).toBeNull();
        }
        for (let i = 0; i < sealed.length; i++) {
          const s = sealed.slice();
          s[i] = s[i]! ^ 0x80;
          expect(k.packet.open(7, header, s)).toBeNull();
        }
        expect(k.packet.open(7, header, sealed.subarray(0, 15))).toBeNull();
      });

      it(`suite 0x${suite.toString(16)} (${p.name}): header protection round-trips and matches the other provider`, () => {
        const k = keysFromSecret(p, QuicVersion.V1, suite, secret);
        const other = keysFromSecret(p === nobleProvider ? PROVIDERS[1]! : nobleProvider, QuicVersion.V1, suite, secret);
        for (let i = 0; i < 200; i++) {
          const long = i % 2 === 0;
          const pnLength = (1 + (i % 4)) as 1 | 2 | 3 | 4;
          const pnOffset = long ? 18 : 9;
          const packet = rnd(pnOffset + pnLength + 20 + (i % 50));
          packet[0] = (long ? 0xc0 : 0x40) | (pnLength - 1) | (packet[0]! & 0x0c);
          const original = packet.slice();
          k.header.protect(packet, pnOffset);
          const twin = original.slice();
          other.header.protect(twin, pnOffset);
          expect(Buffer.from(twin)).toEqual(Buffer.from(packet));
          // Only the low 4 (long) / 5 (short) bits of the first byte and the pn bytes may change.
          expect(packet[0]! & (long ? 0xf0 : 0xe0)).toBe(original[0]! & (long ? 0xf0 : 0xe0));
          expect(Buffer.from(packet.subarray(pnOffset + pnLength))).toEqual(Buffer.from(original.subarray(pnOffset + pnLength)));
          const r = k.header.unprotect(packet, pnOffset)!;
          expect(r.pnLength).toBe(pnLength);
          expect(Buffer.from(packet)).toEqual(Buffer.from(original));
        }
      });
    }
  }

  for (const p of PROVIDERS) {
    it(`${p.name}: wrong key, IV and nonce lengths are RangeErrors; short packets unprotect to null`, () => {
      expect(() => p.aead('aes-128-gcm', new Uint8Array(15))).toThrow(RangeError);
      expect(() => p.aead('chacha20-poly1305', new Uint8Array(16))).toThrow(RangeError);
      expect(() => p.headerProtection('aes-256', new Uint8Array(16))).toThrow(RangeError);
      expect(() => p.aead('aes-128-gcm', new Uint8Array(16)).seal(new Uint8Array(8), new Uint8Array(0), new Uint8Array(0))).toThrow(RangeError);
      expect(() => keysFromSecret(p, QuicVersion.V1, CipherSuite.TLS_AES_256_GCM_SHA384, new Uint8Array(32))).toThrow(RangeError);
      expect(() => keysFromSecret(p, 0xff000020, CipherSuite.TLS_AES_128_GCM_SHA256, new Uint8Array(32))).toThrow(RangeError);
      const k = keysFromSecret(p, QuicVersion.V1, CipherSuite.TLS_AES_128_GCM_SHA256, new Uint8Array(32));
      expect(k.header.unprotect(new Uint8Array(20), 5)).toBeNull();
      expect(() => k.header.protect(new Uint8Array(20), 5)).toThrow(RangeError);
      expect(() => k.packet.sealInPlace(0, new Uint8Array(30), 0, 5, 20)).toThrow(RangeError);
    });
  }

  it('AEAD limits per suite (RFC 9001 §6.6)', () => {
    expect([suiteParams(0x1301).confidentialityLimit, suiteParams(0x1301).integrityLimit]).toEqual([2 ** 23, 2 ** 52]);
    expect([suiteParams(0x1303).confidentialityLimit, suiteParams(0x1303).integrityLimit]).toEqual([Infinity, 2 ** 36]);
    const k = keysFromSecret(nobleProvider, QuicVersion.V1, 0x1302, new Uint8Array(48));
    expect(k.packet.confidentialityLimit).toBe(2 ** 23);
  });

  it('defaultProvider() is the node provider on Node', () => {
    expect(defaultProvider().name).toBe('node');
  });
});
