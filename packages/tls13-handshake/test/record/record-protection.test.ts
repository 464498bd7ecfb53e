import { describe, expect, it } from 'vitest';
import { ContentType, RecordAlert } from '../../src/record/content-type.js';
import { TlsRecordError } from '../../src/record/errors.js';
import { RecordProtection, recordNonce } from '../../src/record/record-protection.js';
import { hex, nobleAead, toHex } from './helpers.js';
import { protectedRecords, trafficSecrets } from './rfc8448-records.js';
import { recordTrafficKeys } from '../../src/record/traffic-keys.js';
import { testCrypto } from './test-crypto.js';

function protection(key: string, iv: string, seq: number): RecordProtection {
  const p = new RecordProtection(nobleAead('aes-128-gcm', hex(key)), hex(iv), 0x1301);
  // Advance to the vector's sequence number by sealing throwaway records.
  for (let i = 0; i < seq; i++) p.seal(ContentType.application_data, new Uint8Array(0));
  return p;
}

describe('RFC 8446 §5.3 per-record nonce', () => {
  it('XORs the big-endian 64-bit sequence number into the low 8 bytes of the iv', () => {
    const iv = hex('000102030405060708090a0b');
    expect(toHex(recordNonce(iv, 0))).toBe('000102030405060708090a0b');
    expect(toHex(recordNonce(iv, 1))).toBe('000102030405060708090a0a');
    expect(toHex(recordNonce(iv, 0x1_0000_0000))).toBe('000102030405060608090a0b');
    expect(toHex(recordNonce(iv, 2 ** 53 - 1))).toBe('00010203041af9f8f7f6f5f4');
  });
  it('rejects a sequence number that is not a safe non-negative integer', () => {
    expect(() => recordNonce(new Uint8Array(12), -1)).toThrow(RangeError);
    expect(() => recordNonce(new Uint8Array(12), 2 ** 53)).toThrow(RangeError);
  });
});

describe('RFC 8448 protected records, byte for byte', () => {
  for (const v of protectedRecords) {
    it(`seals ${v.name}`, () => {
      const p = protection(v.key, v.iv, v.seq);
      expect(p.sequenceNumber).toBe(v.seq);
      expect(toHex(p.seal(v.contentType, hex(v.payload)))).toBe(v.record);
      expect(p.sequenceNumber).toBe(v.seq + 1);
    });
    it(`opens ${v.name}`, () => {
      const p = protection(v.key, v.iv, v.seq);
      const rec = hex(v.record);
      const opened = p.open(rec.subarray(0, 5), rec.subarray(5));
      expect(opened.contentType).toBe(v.contentType);
      expect(toHex(opened.content)).toBe(v.payload);
    });
  }
});

describe('TLSInnerPlaintext (RFC 8446 §5.4)', () => {
  const key = hex('00112233445566778899aabbccddeeff');
  const iv = hex('0102030405060708090a0b0c');
  const pair = () => [new RecordProtection(nobleAead('aes-128-gcm', key), iv, 0x1301), new RecordProtection(nobleAead('aes-128-gcm', key), iv, 0x1301)] as const;

  it('strips zero padding and recovers the content type', () => {
    const [w, r] = pair();
    const rec = w.seal(ContentType.handshake, hex('14000000'), 100);
    expect(rec.length).toBe(5 + 4 + 1 + 100 + 16);
    const o = r.open(rec.subarray(0, 5), rec.subarray(5));
    expect(o.contentType).toBe(ContentType.handshake);
    expect(toHex(o.content)).toBe('14000000');
  });
  it('allows an empty application data record', () => {
    const [w, r] = pair();
    const rec = w.seal(ContentType.application_data, new Uint8Array(0));
    const o = r.open(rec.subarray(0, 5), rec.subarray(5));
    expect(o.contentType).toBe(ContentType.application_data);
    expect(o.content.length).toBe(0);
  });
  it('a record of only zeros is unexpected_message', () => {
    const aead = nobleAead('aes-128-gcm', key);
    const inner = new Uint8Array(8);
    const header = hex('1703030018');
    const sealed = aead.seal(recordNonce(iv, 0), header, inner);
    const r = new RecordProtection(aead, iv, 0x1301);
    const err = (() => {
      try {
        r.open(header, sealed);
      } catch (e) {
        return e;
      }
    })();
    expect(TlsRecordError.isInstance(err) && err.alert).toBe(RecordAlert.unexpected_message);
  });
  it('a TLSInnerPlaintext over 2^14 + 1 bytes is record_overflow', () => {
    const aead = nobleAead('aes-128-gcm', key);
    const inner = new Uint8Array(16386);
    inner[16385] = ContentType.application_data;
    const header = hex('1703034012');
    const sealed = aead.seal(recordNonce(iv, 0), header, inner);
    const r = new RecordProtection(aead, iv, 0x1301);
    expect(() => r.open(header, sealed)).toThrow(expect.objectContaining({ alert: RecordAlert.record_overflow }));
  });
  it('a flipped bit anywhere is bad_record_mac, and a wrong sequence number too', () => {
    const [w, r] = pair();
    const rec = w.seal(ContentType.application_data, hex('68656c6c6f'));
    for (const i of [0, 3, 5, rec.length - 1]) {
      const bad = rec.slice();
      bad[i]! ^= 1;
      const fresh = new RecordProtection(nobleAead('aes-128-gcm', key), iv, 0x1301);
      expect(() => fresh.open(bad.subarray(0, 5), bad.subarray(5))).toThrow(expect.objectContaining({ alert: RecordAlert.bad_record_mac }));
    }
    r.seal(ContentType.application_data, new Uint8Array(0)); // reader now at seq 1
    expect(() => r.open(rec.subarray(0, 5), rec.subarray(5))).toThrow(expect.objectContaining({ alert: RecordAlert.bad_record_mac }));
  });
  it('round-trips ChaCha20-Poly1305 and AES-256-GCM', () => {
    for (const [alg, len] of [
      ['chacha20-poly1305', 32],
      ['aes-256-gcm', 32],
    ] as const) {
      const k = new Uint8Array(len).fill(7);
      const w = new RecordProtection(nobleAead(alg, k), iv, 0x1303);
      const r = new RecordProtection(nobleAead(alg, k), iv, 0x1303);
      for (let i = 0; i < 3; i++) {
        const rec = w.seal(ContentType.application_data, hex('0102'));
        expect(toHex(r.open(rec.subarray(0, 5), rec.subarray(5)).content)).toBe('0102');
      }
    }
  });
  it('refuses to seal more than 2^14 + 1 bytes of TLSInnerPlaintext', () => {
    const [w] = pair();
    expect(() => w.seal(ContentType.application_data, new Uint8Array(16384), 1)).toThrow(RangeError);
    expect(w.seal(ContentType.application_data, new Uint8Array(16384)).length).toBe(5 + 16385 + 16);
  });
});

describe('RFC 8446 §7.3 traffic keys (RFC 8448 §3 secrets)', () => {
  for (const v of trafficSecrets) {
    it(v.name, () => {
      const { key, iv } = recordTrafficKeys(testCrypto, 0x1301, hex(v.secret));
      expect([toHex(key), toHex(iv)]).toEqual([v.key, v.iv]);
    });
  }
  it('derives 32-byte keys for AES-256-GCM/SHA-384 and ChaCha20-Poly1305', () => {
    const s48 = new Uint8Array(48).fill(1);
    expect(recordTrafficKeys(testCrypto, 0x1302, s48).key.length).toBe(32);
    expect(recordTrafficKeys(testCrypto, 0x1303, new Uint8Array(32)).key.length).toBe(32);
    expect(() => recordTrafficKeys(testCrypto, 0x1304 as never, new Uint8Array(32))).toThrow(RangeError);
  });
});
