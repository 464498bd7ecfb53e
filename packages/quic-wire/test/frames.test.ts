import { describe, expect, it } from 'vitest';
import {
  decodeFrame,
  decodeFrames,
  encodeFrame,
  frameAllowedIn,
  frameSize,
  frameTypeCode,
  maxStreamDataThatFits,
  QuicWireError,
  Reader,
  streamFrameOverhead,
  TransportErrorCode,
  Writer,
  type Frame,
  type PacketSpaceType,
} from '../src/index.js';
import { hex, toHex } from './hex.js';
import { SAMPLE_FRAMES } from './samples.js';

function encode(f: Frame, omitLength = false): Uint8Array {
  const w = Writer.alloc(frameSize(f, { omitLength }));
  encodeFrame(w, f, { omitLength });
  expect(w.remaining).toBe(0); // frameSize is exact
  return w.buf;
}

function codeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    if (QuicWireError.isInstance(e)) return e.code;
    throw e;
  }
  return undefined;
}

describe('frames (RFC 9000 §19, RFC 9221 §4)', () => {
  for (const f of SAMPLE_FRAMES) {
    const label = `${f.type} ${'fin' in f ? `fin=${f.fin} off=${f.offset} len=${f.data.length}` : ''}`;
    it(`round-trips ${label}`, () => {
      const bytes = encode(f);
      const r = new Reader(bytes);
      expect(decodeFrame(r)).toEqual(f);
      expect(r.atEnd).toBe(true);
    });
  }

  it('STREAM and DATAGRAM without a Length field run to the end of the packet', () => {
    const s: Frame = { type: 'stream', streamId: 0, offset: 9, data: hex('010203'), fin: true };
    const bytes = encode(s, true);
    expect(toHex(bytes)).toBe('0d' + '00' + '09' + '010203'); // type 0x08|OFF|FIN, no LEN
    expect(decodeFrames(bytes, '1rtt')).toEqual([s]);
    const d: Frame = { type: 'datagram', data: hex('aabb') };
    expect(toHex(encode(d, true))).toBe('30aabb');
    expect(toHex(encode(d))).toBe('3102aabb');
  });

  it('the STREAM type bits follow OFF/LEN/FIN exactly (0x08-0x0f)', () => {
    const data = hex('ff');
    expect(frameTypeCode({ type: 'stream', streamId: 0, offset: 0, data, fin: false })).toBe(0x0a);
    expect(frameTypeCode({ type: 'stream', streamId: 0, offset: 1, data, fin: true })).toBe(0x0f);
    expect(frameTypeCode({ type: 'stream', streamId: 0, offset: 0, data, fin: true }, { omitLength: true })).toBe(0x09);
  });

  it('encodes an ACK with gaps as RFC 9000 §19.3.1 gap/length pairs', () => {
    // largest 10, first range 10..8 (len 2), gap to 5..4: gap = 8 - 5 - 2 = 1, len 1.
    expect(
      toHex(
        encode({
          type: 'ack',
          largest: 10,
          ackDelay: 0,
          ranges: [
            [8, 10],
            [4, 5],
          ],
        }),
      ),
    ).toBe('020a00010201' + '01');
  });

  it('maxStreamDataThatFits fills a budget exactly, across Length size classes', () => {
    for (const budget of [1, 2, 3, 4, 10, 66, 67, 68, 69, 70, 1200, 16390, 16391, 16392, 16393, 65535]) {
      for (const [id, off] of [
        [0, 0],
        [4, 1],
        [1000, 70000],
        [2 ** 40, 2 ** 45],
      ] as const) {
        const n = maxStreamDataThatFits(id, off, budget);
        if (n < 0) {
          expect(streamFrameOverhead(id, off, 0)).toBeGreaterThan(budget);
          continue;
        }
        expect(streamFrameOverhead(id, off, n) + n).toBeLessThanOrEqual(budget);
        // One more byte would not fit.
        expect(streamFrameOverhead(id, off, n + 1) + n + 1).toBeGreaterThan(budget);
      }
    }
  });

  it('caller mistakes are RangeErrors, not wire errors', () => {
    expect(() => encode({ type: 'ack', largest: 5, ackDelay: 0, ranges: [[1, 4]] })).toThrow(RangeError);
    expect(() =>
      encode({
        type: 'ack',
        largest: 5,
        ackDelay: 0,
        ranges: [
          [4, 5],
          [3, 3],
        ],
      }),
    ).toThrow(RangeError);
    expect(() => encode({ type: 'path_challenge', data: hex('00') })).toThrow(RangeError);
    expect(() => encode({ type: 'new_token', token: new Uint8Array(0) })).toThrow(RangeError);
    const w = Writer.alloc(2);
    expect(() => encodeFrame(w, { type: 'max_data', maximum: 2 ** 30 })).toThrow(RangeError);
  });
});

describe('frame decoding errors (RFC 9000 §12.4, §19)', () => {
  const E = TransportErrorCode;
  const cases: Array<[string, string, number]> = [
    ['unknown frame type 0x21', '21', E.FRAME_ENCODING_ERROR],
    ['non-minimal frame type (0x4001 for PING)', '4001', E.PROTOCOL_VIOLATION],
    ['ACK first range below 0', '02' + '05' + '00' + '00' + '06', E.FRAME_ENCODING_ERROR],
    ['ACK later range below 0', '02' + '05' + '00' + '01' + '00' + '04' + '00', E.FRAME_ENCODING_ERROR],
    ['ACK range count larger than the frame', '02' + '05' + '00' + '80ffffff' + '00', E.FRAME_ENCODING_ERROR],
    ['empty NEW_TOKEN', '07' + '00', E.FRAME_ENCODING_ERROR],
    ['NEW_CONNECTION_ID length 0', '18' + '01' + '00' + '00' + '00'.repeat(16), E.FRAME_ENCODING_ERROR],
    ['NEW_CONNECTION_ID length 21', '18' + '01' + '00' + '15' + '00'.repeat(37), E.FRAME_ENCODING_ERROR],
    ['Retire Prior To above Sequence', '18' + '01' + '02' + '01' + 'aa' + '00'.repeat(16), E.FRAME_ENCODING_ERROR],
    ['MAX_STREAMS above 2^60', '12' + 'd000000000000001', E.FRAME_ENCODING_ERROR],
    ['STREAMS_BLOCKED above 2^60', '17' + 'd000000000000001', E.FRAME_ENCODING_ERROR],
    ['STREAM offset + length above 2^62 - 1', '0e' + '00' + 'ffffffffffffffff' + '01' + 'aa', E.FRAME_ENCODING_ERROR],
    ['CRYPTO offset + length above 2^62 - 1', '06' + 'ffffffffffffffff' + '01' + 'aa', E.FRAME_ENCODING_ERROR],
    ['STREAM Length beyond the packet', '0a' + '00' + '05' + 'aa', E.FRAME_ENCODING_ERROR],
    // Largest 2^60 with a first range of 2^60 + 1: only exact arithmetic sees the negative packet number.
    ['ACK above 2^53 reaching below 0', '02' + 'd000000000000000' + '00' + '00' + 'd000000000000001', E.FRAME_ENCODING_ERROR],
  ];
  for (const [name, bytes, code] of cases) {
    it(`${name} → 0x${code.toString(16)}`, () => {
      expect(codeOf(() => decodeFrames(hex(bytes), '1rtt'))).toBe(code);
    });
  }

  it('MAX_STREAMS of exactly 2^60 is accepted', () => {
    expect(decodeFrames(hex('12' + 'd000000000000000'), '1rtt')).toEqual([{ type: 'max_streams', bidi: true, maximum: 2 ** 60 > Number.MAX_SAFE_INTEGER ? 2 ** 53 : 2 ** 60 }]);
  });

  it('an empty payload is a PROTOCOL_VIOLATION (§12.4)', () => {
    expect(codeOf(() => decodeFrames(new Uint8Array(0), 'initial'))).toBe(E.PROTOCOL_VIOLATION);
  });

  it('every truncated prefix of every sample frame fails with a QuicWireError', () => {
    for (const f of SAMPLE_FRAMES) {
      if (f.type === 'padding' || f.type === 'ping' || f.type === 'handshake_done') continue;
      const bytes = encode(f);
      for (let n = 1; n < bytes.length; n++) {
        const prefix = bytes.subarray(0, n);
        // STREAM/DATAGRAM with a Length can only fail when cut; a cut frame never decodes to the original.
        let decoded: Frame[] | undefined;
        const code = codeOf(() => (decoded = decodeFrames(prefix, '1rtt')));
        if (code === undefined) expect(decoded).not.toEqual([f]);
        else expect(code).toBe(E.FRAME_ENCODING_ERROR);
      }
    }
  });
});

describe('ACK_FREQUENCY and IMMEDIATE_ACK (draft-ietf-quic-ack-frequency §4, §5)', () => {
  const E = TransportErrorCode;
  it("encode with the draft's code points, byte for byte", () => {
    // Type 0xaf as a 2-byte varint (0x40af), Sequence 1, Threshold 9, Requested Max Ack Delay 25,000 µs (4 bytes), Reordering 3.
    expect(toHex(encode({ type: 'ack_frequency', sequence: 1, ackElicitingThreshold: 9, requestedMaxAckDelay: 25_000, reorderingThreshold: 3 }))).toBe('40af' + '01' + '09' + '800061a8' + '03');
    expect(toHex(encode({ type: 'immediate_ack' }))).toBe('1f');
    expect(decodeFrames(hex('40af01098000_61a803'.replace('_', '') + '1f'), '1rtt')).toEqual([
      { type: 'ack_frequency', sequence: 1, ackElicitingThreshold: 9, requestedMaxAckDelay: 25_000, reorderingThreshold: 3 },
      { type: 'immediate_ack' },
    ]);
  });

  it('0xaf in one byte is not a frame type (§12.4: minimal encoding), a cut ACK_FREQUENCY is a FRAME_ENCODING_ERROR', () => {
    // 0xaf's first two bits (10) make it a 4-byte varint: 0xaf000000 = a huge unknown frame type.
    expect(codeOf(() => decodeFrames(hex('af000000'), '1rtt'))).toBe(E.FRAME_ENCODING_ERROR);
    expect(codeOf(() => decodeFrames(hex('40af0109'), '1rtt'))).toBe(E.FRAME_ENCODING_ERROR);
    expect(codeOf(() => decodeFrames(hex('80_0000af'.replace('_', '') + '00000000'), '1rtt'))).toBe(E.PROTOCOL_VIOLATION);
  });
});

describe('frame permissions per packet type (RFC 9000 §12.4, Table 3)', () => {
  // Columns: I H 0 1 — straight from Table 3 (and RFC 9221 §4 for DATAGRAM).
  const TABLE3: Array<[number, string]> = [
    [0x00, 'IH01'],
    [0x01, 'IH01'],
    [0x02, 'IH_1'],
    [0x03, 'IH_1'],
    [0x04, '__01'],
    [0x05, '__01'],
    [0x06, 'IH_1'],
    [0x07, '___1'],
    [0x08, '__01'],
    [0x0f, '__01'],
    [0x10, '__01'],
    [0x11, '__01'],
    [0x12, '__01'],
    [0x13, '__01'],
    [0x14, '__01'],
    [0x15, '__01'],
    [0x16, '__01'],
    [0x17, '__01'],
    [0x18, '__01'],
    [0x19, '__01'],
    [0x1a, '__01'],
    [0x1b, '___1'],
    [0x1c, 'IH01'],
    [0x1d, '__01'],
    [0x1e, '___1'],
    [0x1f, '___1'], // IMMEDIATE_ACK, draft-ietf-quic-ack-frequency §3: never in 0-RTT
    [0x30, '__01'],
    [0x31, '__01'],
    [0xaf, '___1'], // ACK_FREQUENCY, likewise
  ];
  const types: PacketSpaceType[] = ['initial', 'handshake', '0rtt', '1rtt'];
  for (const [t, cols] of TABLE3) {
    it(`0x${t.toString(16)} allowed in ${cols}`, () => {
      types.forEach((pt, i) => expect(frameAllowedIn(t, pt)).toBe(cols[i] !== '_'));
    });
  }

  it('a frame in a packet type that may not carry it → PROTOCOL_VIOLATION with its frame type', () => {
    try {
      decodeFrames(hex('1e'), 'handshake');
      expect.unreachable();
    } catch (e) {
      expect(QuicWireError.isInstance(e) && [e.code, e.frameType]).toEqual([TransportErrorCode.PROTOCOL_VIOLATION, 0x1e]);
    }
    expect(codeOf(() => decodeFrames(encode({ type: 'stream', streamId: 0, offset: 0, data: hex('00'), fin: false }), 'initial'))).toBe(TransportErrorCode.PROTOCOL_VIOLATION);
    expect(codeOf(() => decodeFrames(hex('0200000000'), '0rtt'))).toBe(TransportErrorCode.PROTOCOL_VIOLATION);
  });

  it('a realistic 1-RTT payload: ACK, several STREAM frames, padding', () => {
    const frames: Frame[] = [
      {
        type: 'ack',
        largest: 100,
        ackDelay: 12,
        ranges: [
          [90, 100],
          [50, 80],
        ],
      },
      { type: 'stream', streamId: 0, offset: 0, data: new Uint8Array(100).fill(1), fin: false },
      { type: 'stream', streamId: 4, offset: 400, data: new Uint8Array(200).fill(2), fin: true },
      { type: 'padding', length: 20 },
    ];
    const w = Writer.alloc(frames.reduce((n, f) => n + frameSize(f), 0));
    for (const f of frames) encodeFrame(w, f);
    expect(decodeFrames(w.buf, '1rtt')).toEqual(frames);
  });
});
