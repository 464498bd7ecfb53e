import { describe, expect, it } from 'vitest';
import {
  coalescedPackets,
  decodePacketNumber,
  encodeRetry,
  encodeStatelessReset,
  encodeVersionNegotiation,
  equalConstantTime,
  isReservedVersion,
  parsePacketHeader,
  patchLength,
  QuicVersion,
  QuicWireError,
  retryPseudoPacket,
  statelessResetTokenOf,
  Writer,
  writeLongHeader,
  writeShortHeader,
  type LongHeader,
} from '../src/index.js';
import { hex, toHex } from './hex.js';

function withPayload(header: string, total: number): Uint8Array {
  const out = new Uint8Array(total);
  out.set(hex(header));
  return out;
}

describe('RFC 9001 Appendix A headers (unprotected)', () => {
  it('A.2 client Initial: c300000001088394c8f03e5157080000449e00000002', () => {
    const d = withPayload('c300000001088394c8f03e5157080000449e00000002', 1200);
    const h = parsePacketHeader(d, 0, 0) as LongHeader;
    expect(h.form).toBe('long');
    expect(h.type).toBe('initial');
    expect(h.version).toBe(QuicVersion.V1);
    expect(toHex(h.dcid)).toBe('8394c8f03e515708');
    expect(h.scid.length).toBe(0);
    expect(h.token.length).toBe(0);
    expect(h.pnOffset).toBe(18);
    expect(h.end).toBe(18 + 0x049e); // Length 0x449e is the 2-byte varint 1182
    expect((h.firstByte & 3) + 1).toBe(4); // 4-byte packet number 00000002
  });

  it('A.3 server Initial: c1000000010008f067a5502a4262b50040750001', () => {
    const d = withPayload('c1000000010008f067a5502a4262b50040750001', 20 + 0x75 - 2);
    const h = parsePacketHeader(d, 0, 8) as LongHeader;
    expect([h.type, toHex(h.scid), h.dcid.length, h.pnOffset, h.end]).toEqual(['initial', 'f067a5502a4262b5', 0, 18, 18 + 0x75]);
  });

  it('A.4 Retry: token "token" and the integrity tag', () => {
    const d = hex('ff000000010008f067a5502a4262b5746f6b656e04a265ba2eff4d829058fb3f0f2496ba');
    const h = parsePacketHeader(d, 0, 0);
    expect(h.form).toBe('retry');
    if (h.form !== 'retry') return;
    expect(new TextDecoder().decode(h.token)).toBe('token');
    expect(toHex(h.integrityTag)).toBe('04a265ba2eff4d829058fb3f0f2496ba');
    expect(toHex(encodeRetry({ version: QuicVersion.V1, dcid: h.dcid, scid: h.scid, token: h.token, integrityTag: h.integrityTag, unusedBits: 0xf }))).toBe(toHex(d));
    // RFC 9001 §5.8 pseudo-packet: ODCID 8394c8f03e515708 prefixed with its length.
    const pseudo = retryPseudoPacket(hex('8394c8f03e515708'), d.subarray(0, d.length - 16));
    expect(toHex(pseudo.subarray(0, 9))).toBe('088394c8f03e515708');
    expect(pseudo.length).toBe(9 + d.length - 16);
  });

  it('A.5 short header: 4200bff4 (1-RTT, 3-byte pn field, empty DCID)', () => {
    const d = withPayload('4200bff4', 24);
    const h = parsePacketHeader(d, 0, 0);
    expect(h.form).toBe('short');
    if (h.form !== 'short') return;
    expect([h.pnOffset, h.end, (h.firstByte & 3) + 1]).toEqual([1, 24, 3]);
    // A.5: packet number 654360564 (0x2700bff5 is the largest), truncated 0x00bff4 in 3 bytes.
    expect(decodePacketNumber(654360563, 0x00bff4, 24)).toBe(654360564);
  });
});

describe('long and short header builders', () => {
  for (const version of [QuicVersion.V1, QuicVersion.V2]) {
    for (const type of ['initial', '0rtt', 'handshake'] as const) {
      it(`writes and parses ${type} v${version === 1 ? 1 : 2}`, () => {
        const w = Writer.alloc(200);
        const token = type === 'initial' ? hex('abcdef') : undefined;
        const off = writeLongHeader(w, { type, version, dcid: hex('0102030405060708'), scid: hex('0a0b'), token, pnLength: 2, truncatedPn: 0x1234 });
        w.zeros(30);
        patchLength(w.buf, off, w.pos - off.pnOffset);
        const h = parsePacketHeader(w.buf.subarray(0, w.pos), 0, 0) as LongHeader;
        expect([h.type, h.version, toHex(h.dcid), toHex(h.scid), toHex(h.token), h.pnOffset, h.end]).toEqual([type, version, '0102030405060708', '0a0b', type === 'initial' ? 'abcdef' : '', off.pnOffset, w.pos]);
        expect(toHex(w.buf.subarray(off.pnOffset, off.pnOffset + 2))).toBe('1234');
      });
    }
  }

  it('v2 uses its own type bits (RFC 9369 §3.2) and Retry is 0b00', () => {
    const w = Writer.alloc(64);
    writeLongHeader(w, { type: 'initial', version: QuicVersion.V2, dcid: hex('01'), scid: hex(''), pnLength: 1, truncatedPn: 0 });
    expect(w.buf[0]! & 0x30).toBe(0x10);
    const retry = encodeRetry({ version: QuicVersion.V2, dcid: hex('01'), scid: hex('02'), token: hex('aa'), integrityTag: new Uint8Array(16) });
    expect(retry[0]! & 0x30).toBe(0x00);
    expect(parsePacketHeader(retry, 0, 0).form).toBe('retry');
  });

  it('a 4-byte Length field for large packets', () => {
    const w = Writer.alloc(40000);
    const off = writeLongHeader(w, { type: 'handshake', version: QuicVersion.V1, dcid: hex('01'), scid: hex('02'), pnLength: 4, truncatedPn: 9, lengthBytes: 4 });
    w.zeros(30000);
    patchLength(w.buf, off, w.pos - off.pnOffset);
    expect(parsePacketHeader(w.buf, 0, 0).end).toBe(w.pos);
    expect(() => patchLength(w.buf, { ...off, lengthBytes: 2 }, 20000)).toThrow(RangeError);
  });

  it('short header with key phase and spin', () => {
    const w = Writer.alloc(64);
    const pnOffset = writeShortHeader(w, { dcid: hex('aabbccdd'), pnLength: 3, truncatedPn: 0x010203, keyPhase: true, spin: true });
    expect(toHex(w.written())).toBe('66aabbccdd010203');
    expect(pnOffset).toBe(5);
    const h = parsePacketHeader(w.written(), 0, 4);
    expect(h.form === 'short' && toHex(h.dcid)).toBe('aabbccdd');
  });
});

describe('Version Negotiation, unknown versions, coalescing, stateless reset', () => {
  it('Version Negotiation round trip (RFC 9000 §17.2.1)', () => {
    const vn = encodeVersionNegotiation({ dcid: hex('0102'), scid: hex('030405'), versions: [QuicVersion.V1, QuicVersion.V2], unusedBits: 0x55 });
    const h = parsePacketHeader(vn, 0, 0);
    expect(h.form).toBe('version-negotiation');
    if (h.form === 'version-negotiation') expect([toHex(h.dcid), toHex(h.scid), h.versions]).toEqual(['0102', '030405', [1, 0x6b3343cf]]);
    expect(() => parsePacketHeader(vn.subarray(0, vn.length - 1), 0, 0)).toThrow(QuicWireError);
  });

  it('an unknown version yields only the invariant fields (RFC 8999), even with 255-byte CIDs', () => {
    const d = new Uint8Array(1200);
    d.set([0xc0, 0x1a, 0x2a, 0x3a, 0x4a, 255]);
    d[6 + 255] = 0;
    const h = parsePacketHeader(d, 0, 0);
    expect(h.form).toBe('unsupported-version');
    expect(isReservedVersion(0x1a2a3a4a)).toBe(true);
    if (h.form === 'unsupported-version') expect([h.version, h.dcid.length]).toEqual([0x1a2a3a4a, 255]);
  });

  it('v1 packets with CIDs over 20 bytes, or the fixed bit clear, are dropped', () => {
    const long = new Uint8Array(100);
    long.set([0xc0, 0, 0, 0, 1, 21]);
    expect(() => parsePacketHeader(long, 0, 0)).toThrow(QuicWireError);
    expect(() => parsePacketHeader(hex('00aabbccdd'), 0, 2)).toThrow(QuicWireError);
    expect(() => parsePacketHeader(hex('800000000100000000'), 0, 0)).toThrow(QuicWireError);
  });

  it('coalesced packets: Initial + Handshake + 1-RTT in one datagram; a broken tail is ignored', () => {
    const w = Writer.alloc(400);
    for (const type of ['initial', 'handshake'] as const) {
      const off = writeLongHeader(w, { type, version: QuicVersion.V1, dcid: hex('aaaa'), scid: hex('bb'), pnLength: 1, truncatedPn: 0 });
      w.zeros(40);
      patchLength(w.buf, off, w.pos - off.pnOffset);
    }
    writeShortHeader(w, { dcid: hex('aaaa'), pnLength: 1, truncatedPn: 0, keyPhase: false });
    w.zeros(30);
    const d = w.written();
    expect(coalescedPackets(d, 2).map((h) => (h.form === 'long' ? h.type : h.form))).toEqual(['initial', 'handshake', 'short']);
    const broken = d.slice();
    broken[broken.indexOf(0xe0, 10)] = 0x80; // second packet's fixed bit cleared (handshake first byte is 0xe0)
    expect(coalescedPackets(broken, 2).length).toBe(1);
  });

  it('stateless reset: looks like a short header, token last, at least 21 bytes (RFC 9000 §10.3)', () => {
    const token = new Uint8Array(16).fill(7);
    const reset = encodeStatelessReset(token, new Uint8Array(25).fill(0xff));
    expect(reset.length).toBe(41);
    expect(reset[0]! & 0xc0).toBe(0x40);
    expect(equalConstantTime(statelessResetTokenOf(reset)!, token)).toBe(true);
    expect(statelessResetTokenOf(reset.subarray(0, 20))).toBeNull();
    expect(() => encodeStatelessReset(token, new Uint8Array(4))).toThrow(RangeError);
    expect(equalConstantTime(hex('0102'), hex('0103'))).toBe(false);
  });
});
