import { describe, expect, it } from 'vitest';
import { ContentType, RecordAlert } from '../../src/record/content-type.js';
import { RecordReader, RecordWriter, type WireRecord } from '../../src/record/record-framing.js';
import { RecordProtection } from '../../src/record/record-protection.js';
import { concat, hex, nobleAead, toHex } from './helpers.js';
import { plaintextRecords, protectedRecords } from './rfc8448-records.js';

function drain(r: RecordReader): WireRecord[] {
  const out: WireRecord[] = [];
  for (let rec = r.next(); rec; rec = r.next()) out.push({ ...rec, header: rec.header.slice(), body: rec.body.slice() });
  return out;
}

describe('RecordWriter: TLSPlaintext (RFC 8446 §5.1)', () => {
  for (const v of plaintextRecords) {
    it(`frames ${v.name} byte for byte`, () => {
      const expected = hex(v.record);
      const legacy = (expected[1]! << 8) | expected[2]!;
      const out = new RecordWriter().encode(ContentType.handshake, hex(v.payload), legacy);
      expect(out.map(toHex)).toEqual([v.record]);
    });
  }
  it('fragments handshake data into records of at most maxFragment bytes', () => {
    const data = new Uint8Array(40000).map((_, i) => i & 0xff);
    const out = new RecordWriter().encode(ContentType.handshake, data);
    expect(out.map((r) => r.length - 5)).toEqual([16384, 16384, 7232]);
    const small = new RecordWriter(100).encode(ContentType.handshake, data.subarray(0, 250));
    expect(small.map((r) => r.length - 5)).toEqual([100, 100, 50]);
    const r = new RecordReader();
    r.push(concat(out));
    expect(toHex(concat(drain(r).map((x) => x.body)))).toBe(toHex(data));
  });
  it('refuses zero-length handshake records and unprotected application data', () => {
    expect(() => new RecordWriter().encode(ContentType.handshake, new Uint8Array(0))).toThrow(RangeError);
    expect(() => new RecordWriter().encode(ContentType.application_data, hex('00'))).toThrow(RangeError);
    expect(() => new RecordWriter(0)).toThrow(RangeError);
    expect(() => new RecordWriter(16385)).toThrow(RangeError);
  });
});

describe('RecordWriter: TLSCiphertext', () => {
  it('seals under the installed protection with consecutive sequence numbers (RFC 8448 §3)', () => {
    const nst = protectedRecords.find((v) => v.name.startsWith('§3 server NewSessionTicket'))!;
    const app = protectedRecords.find((v) => v.name === '§3 server application data')!;
    const alert = protectedRecords.find((v) => v.name === '§3 server close_notify alert')!;
    const w = new RecordWriter();
    w.setProtection(new RecordProtection(nobleAead('aes-128-gcm', hex(nst.key)), hex(nst.iv), 0x1301));
    const out = [...w.encode(ContentType.handshake, hex(nst.payload)), ...w.encode(ContentType.application_data, hex(app.payload)), ...w.encode(ContentType.alert, hex(alert.payload))];
    expect(out.map(toHex)).toEqual([nst.record, app.record, alert.record]);
  });
  it('an empty application data write gives one empty protected record', () => {
    const w = new RecordWriter();
    w.setProtection(new RecordProtection(nobleAead('aes-128-gcm', new Uint8Array(16)), new Uint8Array(12), 0x1301));
    const out = w.encode(ContentType.application_data, new Uint8Array(0));
    expect(out.length).toBe(1);
    expect(out[0]!.length).toBe(5 + 1 + 16);
  });
});

describe('RecordWriter: padding policy (RFC 8446 §5.4)', () => {
  it('pads protected records to the policy, clamped to 2^14 + 1 bytes of TLSInnerPlaintext', () => {
    const key = new Uint8Array(16);
    const iv = new Uint8Array(12);
    const w = new RecordWriter(16384, (_type, len) => 256 - (len % 256));
    w.setProtection(new RecordProtection(nobleAead('aes-128-gcm', key), iv, 0x1301));
    const r = new RecordProtection(nobleAead('aes-128-gcm', key), iv, 0x1301);
    for (const n of [0, 1, 100, 16383, 16384]) {
      const [rec] = w.encode(ContentType.application_data, new Uint8Array(n).fill(5));
      const inner = rec!.length - 5 - 16;
      expect(inner).toBe(n === 16384 ? 16385 : Math.min(16385, n + 256 - (n % 256) + 1));
      const o = r.open(rec!.subarray(0, 5), rec!.subarray(5));
      expect(o.content.length).toBe(n);
      expect(o.contentType).toBe(ContentType.application_data);
    }
  });
  it('ignores a policy on plaintext records and a negative or NaN answer', () => {
    const w = new RecordWriter(16384, () => Number.NaN);
    expect(w.encode(ContentType.handshake, hex('0100')).map(toHex)).toEqual(['16030300020100']);
    w.setProtection(new RecordProtection(nobleAead('aes-128-gcm', new Uint8Array(16)), new Uint8Array(12), 0x1301));
    expect(w.encode(ContentType.application_data, hex('00'))[0]!.length).toBe(5 + 2 + 16);
    const neg = new RecordWriter(16384, () => -5);
    neg.setProtection(new RecordProtection(nobleAead('aes-128-gcm', new Uint8Array(16)), new Uint8Array(12), 0x1301));
    expect(neg.encode(ContentType.application_data, hex('00'))[0]!.length).toBe(5 + 2 + 16);
  });
});

describe('RecordReader', () => {
  const stream = concat([hex(plaintextRecords[0]!.record), hex(plaintextRecords[1]!.record), ...protectedRecords.slice(0, 3).map((v) => hex(v.record))]);

  it('yields the same records whatever the chunking (whole, byte by byte, random splits)', () => {
    const whole = new RecordReader();
    whole.push(stream);
    const expected = drain(whole);
    expect(expected.map((r) => r.contentType)).toEqual([22, 22, 23, 23, 23]);
    expect(toHex(concat(expected.flatMap((r) => [r.header, r.body])))).toBe(toHex(stream));

    const bytewise = new RecordReader();
    const got: WireRecord[] = [];
    for (let i = 0; i < stream.length; i++) {
      bytewise.push(stream.subarray(i, i + 1));
      got.push(...drain(bytewise));
    }
    expect(got).toEqual(expected);

    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 700;
    const split = new RecordReader();
    const got2: WireRecord[] = [];
    for (let off = 0; off < stream.length;) {
      const n = 1 + rand();
      split.push(stream.subarray(off, off + n));
      off += n;
      got2.push(...drain(split));
    }
    expect(got2).toEqual(expected);
    expect(split.bufferedBytes).toBe(0);
  });

  it('returns null until a whole record is buffered', () => {
    const r = new RecordReader();
    r.push(hex('160303'));
    expect(r.next()).toBeNull();
    r.push(hex('0002'));
    expect(r.next()).toBeNull();
    r.push(hex('0a'));
    expect(r.next()).toBeNull();
    expect(r.bufferedBytes).toBe(6);
    r.push(hex('0b'));
    expect(toHex(r.next()!.body)).toBe('0a0b');
  });

  it.each([
    ['unknown content type 24', '1803030001', RecordAlert.unexpected_message],
    ['content type 0', '0003030001', RecordAlert.unexpected_message],
    ['TLSPlaintext longer than 2^14', '1603034001', RecordAlert.record_overflow],
    ['alert record longer than 2^14', '1503034001', RecordAlert.record_overflow],
    ['TLSCiphertext longer than 2^14 + 256', '1703034101', RecordAlert.record_overflow],
  ])('rejects %s from the header alone', (_, header, alert) => {
    const r = new RecordReader();
    r.push(hex(header));
    expect(() => r.next()).toThrow(expect.objectContaining({ alert }));
  });

  it('accepts the maximal lengths', () => {
    const r = new RecordReader();
    r.push(concat([hex('1703034100'), new Uint8Array(16640), hex('1603034000'), new Uint8Array(16384)]));
    expect(drain(r).map((x) => x.body.length)).toEqual([16640, 16384]);
  });
});
