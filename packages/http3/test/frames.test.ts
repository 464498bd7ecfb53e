/** RFC 9114 §7 frames, §7.2.4 SETTINGS and §8.1 error codes: codecs, the Table 1 rules and the frame decoder. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { H3ErrorCode, h3ErrorName, Http3Error, isReservedCodePoint, reservedCodePoint } from '../src/errors.js';
import { FrameDecoder, type FrameDisposition, type FrameEvent } from '../src/frame-decoder.js';
import { classifyFrame, decodeIdPayload, encodeFrame, encodeFrameHeader, encodeIdPayload, FrameType } from '../src/frames.js';
import { decodeSettings, encodeSettings, mergeSettings } from '../src/settings.js';
import { VARINT_MAX } from '../src/varint.js';
import { http3ErrorOf } from './support/errors.js';
import { hex, toHex } from '@tsquic/test-support/hex';

describe('error codes (RFC 9114 §8.1, RFC 9204 §6, RFC 9297 §5.2)', () => {
  it('has the RFC values', () => {
    expect(H3ErrorCode.H3_NO_ERROR).toBe(0x100);
    expect(H3ErrorCode.H3_MISSING_SETTINGS).toBe(0x10a);
    expect(H3ErrorCode.H3_MESSAGE_ERROR).toBe(0x10e);
    expect(H3ErrorCode.H3_VERSION_FALLBACK).toBe(0x110);
    expect(H3ErrorCode.QPACK_DECOMPRESSION_FAILED).toBe(0x200);
    expect(H3ErrorCode.QPACK_DECODER_STREAM_ERROR).toBe(0x202);
    expect(H3ErrorCode.H3_DATAGRAM_ERROR).toBe(0x33);
    expect(Object.keys(H3ErrorCode)).toHaveLength(21);
  });

  it('names codes, including the reserved 0x1f * N + 0x21 space', () => {
    expect(h3ErrorName(0x106)).toBe('H3_FRAME_ERROR');
    expect(h3ErrorName(0x21)).toBe('H3_RESERVED(0x21)');
    expect(h3ErrorName(0x1f * 1000 + 0x21)).toMatch(/^H3_RESERVED/);
    expect(h3ErrorName(0x22)).toBe('0x22');
    expect(isReservedCodePoint(0x3ffffffffffffffen)).toBe(true);
    expect(isReservedCodePoint(0x20)).toBe(false);
    for (const r of [0, 0.5, 0.999999]) expect(isReservedCodePoint(reservedCodePoint(r))).toBe(true);
  });

  it('carries code, scope, a readable message, retryable and remote flags', () => {
    const e = new Http3Error(H3ErrorCode.H3_REQUEST_REJECTED, 'stream', 'not processed', { retryable: true });
    expect(e.message).toBe('H3_REQUEST_REJECTED: not processed');
    expect([e.code, e.scope, e.retryable, e.remote]).toEqual([0x10b, 'stream', true, false]);
    expect(Http3Error.isInstance({ code: 0x10b, scope: 'stream' })).toBe(false);
  });
});

describe('frame layout (RFC 9114 §7.1)', () => {
  it('encodes headers with shortest varints', () => {
    expect(toHex(encodeFrameHeader(FrameType.DATA, 5))).toBe('0005');
    expect(toHex(encodeFrameHeader(FrameType.HEADERS, 16384))).toBe('0180004000');
    expect(toHex(encodeFrame(FrameType.DATA, hex('68656c6c6f')))).toBe('000568656c6c6f');
  });
});

describe('SETTINGS payload (RFC 9114 §7.2.4, RFC 9220 §3, RFC 9297 §2.1.1)', () => {
  it('round-trips, keeping unknown and reserved identifiers', () => {
    const settings: [bigint, bigint][] = [
      [0x01n, 0n],
      [0x06n, 65536n],
      [0x07n, 0n],
      [0x21n, 7n],
      [VARINT_MAX - 1n, VARINT_MAX],
    ];
    const payload = encodeSettings(settings);
    expect(toHex(payload.subarray(0, 9))).toBe('0100068001000007' + '00');
    expect(decodeSettings(payload)).toEqual(new Map(settings));
    expect(decodeSettings(new Uint8Array(0))).toEqual(new Map());
  });

  it.each([
    ['a duplicate identifier', '0600 0601', H3ErrorCode.H3_SETTINGS_ERROR],
    ['HTTP/2 setting 0x00', '0000', H3ErrorCode.H3_SETTINGS_ERROR],
    ['HTTP/2 setting 0x02 (ENABLE_PUSH)', '0201', H3ErrorCode.H3_SETTINGS_ERROR],
    ['HTTP/2 setting 0x03 (MAX_CONCURRENT_STREAMS)', '03 00', H3ErrorCode.H3_SETTINGS_ERROR],
    ['HTTP/2 setting 0x04 (INITIAL_WINDOW_SIZE)', '0400', H3ErrorCode.H3_SETTINGS_ERROR],
    ['HTTP/2 setting 0x05 (MAX_FRAME_SIZE)', '05 4400', H3ErrorCode.H3_SETTINGS_ERROR],
    ['SETTINGS_ENABLE_CONNECT_PROTOCOL = 2', '0802', H3ErrorCode.H3_SETTINGS_ERROR],
    ['SETTINGS_H3_DATAGRAM = 5', '3305', H3ErrorCode.H3_SETTINGS_ERROR],
    ['a payload ending after an identifier', '06', H3ErrorCode.H3_FRAME_ERROR],
    ['a payload ending inside a value', '06 80', H3ErrorCode.H3_FRAME_ERROR],
  ])('%s is refused', (_, payload, code) => {
    const e = http3ErrorOf(() => decodeSettings(hex(payload)));
    expect(e.code).toBe(code);
    expect(e.scope).toBe('connection');
  });

  it('random payloads yield settings or a typed error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (payload) => {
        try {
          expect(decodeSettings(payload)).toBeInstanceOf(Map);
        } catch (e) {
          expect(Http3Error.isInstance(e)).toBe(true);
          expect([H3ErrorCode.H3_FRAME_ERROR, H3ErrorCode.H3_SETTINGS_ERROR]).toContain((e as Http3Error).code);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('merges our settings with extensions\u2019 (a conflict or an HTTP/2 identifier is the caller\u2019s TypeError)', () => {
    expect(mergeSettings([[1, 0]], [[[0x2b603742n, 1n]], [[0x2b603742n, 1n]]])).toEqual(
      new Map([
        [1n, 0n],
        [0x2b603742n, 1n],
      ]),
    );
    expect(() => mergeSettings([[1, 0]], [[[1, 5]]])).toThrow(TypeError);
    expect(() => mergeSettings([], [[[0x02, 1]]])).toThrow(TypeError);
  });
});

describe('single-ID payloads: GOAWAY, MAX_PUSH_ID, CANCEL_PUSH (RFC 9114 §7.2.3, §7.2.6, §7.2.7)', () => {
  it('round-trip exactly one varint', () => {
    expect(decodeIdPayload(encodeIdPayload(0x3ffffffffffffffcn), 'GOAWAY')).toBe(0x3ffffffffffffffcn);
    expect(decodeIdPayload(hex('4004'), 'GOAWAY')).toBe(4n);
  });

  it.each([
    ['empty', ''],
    ['truncated', '40'],
    ['trailing bytes', '0400'],
  ])('%s payload: H3_FRAME_ERROR', (_, payload) => {
    expect(http3ErrorOf(() => decodeIdPayload(hex(payload), 'GOAWAY')).code).toBe(H3ErrorCode.H3_FRAME_ERROR);
  });
});

describe('where frames may arrive (RFC 9114 §7.2 Table 1)', () => {
  it('allows each frame where Table 1 does; unknown and reserved types are skipped (§9)', () => {
    expect(classifyFrame(FrameType.DATA, 'request', 'server')).toBe('data');
    expect(classifyFrame(FrameType.HEADERS, 'request', 'client')).toBe('headers');
    expect(classifyFrame(FrameType.SETTINGS, 'control', 'client')).toBe('settings');
    expect(classifyFrame(FrameType.GOAWAY, 'control', 'client')).toBe('goaway');
    expect(classifyFrame(FrameType.CANCEL_PUSH, 'control', 'server')).toBe('cancel-push');
    expect(classifyFrame(FrameType.MAX_PUSH_ID, 'control', 'server')).toBe('max-push-id');
    expect(classifyFrame(FrameType.PUSH_PROMISE, 'request', 'client')).toBe('push-promise');
    expect(classifyFrame(0x21, 'control', 'server')).toBeUndefined();
    expect(classifyFrame(0x1f * 77 + 0x21, 'request', 'client')).toBeUndefined();
    expect(classifyFrame(0x0e, 'request', 'server')).toBeUndefined();
  });

  it.each([
    ['DATA on a control stream', FrameType.DATA, 'control', 'server'],
    ['HEADERS on a control stream', FrameType.HEADERS, 'control', 'client'],
    ['SETTINGS on a request stream', FrameType.SETTINGS, 'request', 'server'],
    ['GOAWAY on a request stream', FrameType.GOAWAY, 'request', 'client'],
    ['CANCEL_PUSH on a request stream', FrameType.CANCEL_PUSH, 'request', 'client'],
    ['MAX_PUSH_ID received by a client', FrameType.MAX_PUSH_ID, 'control', 'client'],
    ['MAX_PUSH_ID on a request stream', FrameType.MAX_PUSH_ID, 'request', 'server'],
    ['PUSH_PROMISE received by a server', FrameType.PUSH_PROMISE, 'request', 'server'],
    ['PUSH_PROMISE on a control stream', FrameType.PUSH_PROMISE, 'control', 'client'],
    ['HTTP/2 PRIORITY (0x02)', 0x02, 'request', 'server'],
    ['HTTP/2 PING (0x06)', 0x06, 'control', 'client'],
    ['HTTP/2 WINDOW_UPDATE (0x08)', 0x08, 'control', 'server'],
    ['HTTP/2 CONTINUATION (0x09)', 0x09, 'request', 'client'],
  ] as const)('%s: H3_FRAME_UNEXPECTED', (_, type, stream, receiver) => {
    expect(http3ErrorOf(() => classifyFrame(type, stream, receiver)).code).toBe(H3ErrorCode.H3_FRAME_UNEXPECTED);
  });
});

/** Feeds `bytes` split at `cuts` and collects events (DATA pieces joined per frame). */
function decodeSplit(bytes: Uint8Array, cuts: number[], d: FrameDecoder): Array<{ type: number; payload: string }> {
  const out: Array<{ type: number; payload: string }> = [];
  const points = [0, ...[...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b), bytes.length];
  let streaming: { type: number; payload: string } | undefined;
  for (let i = 0; i + 1 < points.length; i++) {
    for (const e of d.push(bytes.subarray(points[i], points[i + 1])) as FrameEvent[]) {
      if (e.kind === 'frame') out.push({ type: e.type, payload: toHex(e.payload) });
      else if (e.kind === 'start') out.push((streaming = { type: e.type, payload: '' }));
      else streaming!.payload += toHex(e.chunk);
    }
  }
  d.finish();
  return out;
}

describe('the frame decoder (RFC 9114 §7.1, §9)', () => {
  const frames = fc.array(fc.record({ type: fc.oneof(fc.constantFrom(0, 1, 0x21, 0x40, 0x1f * 9 + 0x21), fc.integer({ min: 0x0e, max: 1 << 20 })), payload: fc.uint8Array({ maxLength: 70 }) }), { maxLength: 8 });

  it('yields the same frames for every fragmentation: DATA streamed, HEADERS buffered, others skipped', () => {
    fc.assert(
      fc.property(frames, fc.array(fc.nat(), { maxLength: 12 }), (list, cuts) => {
        const bytes = new Uint8Array(list.flatMap((f) => [...encodeFrame(f.type, f.payload)]));
        const d = new FrameDecoder((type) => (type === 0 ? { action: 'stream' } : type === 1 ? { action: 'buffer', max: 1000, tooLarge: () => new Http3Error(1, 'stream', 'x') } : { action: 'skip' }));
        const expected = list.filter((f) => f.type === 0 || f.type === 1).map((f) => ({ type: f.type, payload: toHex(f.payload) }));
        expect(decodeSplit(bytes, cuts, d)).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('a header split byte by byte, 8-byte varints included', () => {
    const bytes = new Uint8Array([...hex('c000000000000001 c000000000000003'), 1, 2, 3]);
    const d = new FrameDecoder(() => ({ action: 'buffer', max: 10, tooLarge: () => new Http3Error(1, 'stream', 'x') }));
    expect(decodeSplit(bytes, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17], d)).toEqual([{ type: 1, payload: '010203' }]);
  });

  it('a buffered frame that arrives whole is a view of its chunk (no copy); one split across chunks is assembled', () => {
    const buffer = (): FrameDisposition => ({ action: 'buffer', max: 100, tooLarge: () => new Http3Error(1, 'stream', 'x') });
    const chunk = new Uint8Array([...encodeFrame(1, hex('0a0b0c')), ...encodeFrame(1, hex('0d'))]);
    const [a, b] = new FrameDecoder(buffer).push(chunk) as { payload: Uint8Array }[];
    expect([toHex(a!.payload), toHex(b!.payload)]).toEqual(['0a0b0c', '0d']);
    expect(a!.payload.buffer).toBe(chunk.buffer); // fails on a decoder that copies every payload
    expect(b!.payload.byteOffset).toBe(chunk.byteOffset + 7);
    const d = new FrameDecoder(buffer);
    const split = encodeFrame(1, hex('0a0b0c'));
    expect(d.push(split.subarray(0, 3))).toEqual([]);
    const [whole] = d.push(split.subarray(3)) as { payload: Uint8Array }[];
    expect(toHex(whole!.payload)).toBe('0a0b0c');
    expect(whole!.payload.buffer).not.toBe(split.buffer);
  });

  it('refuses a buffered frame above its limit before reading it', () => {
    const d = new FrameDecoder(() => ({ action: 'buffer', max: 3, tooLarge: () => new Http3Error(H3ErrorCode.H3_EXCESSIVE_LOAD, 'stream', 'too large') }));
    expect(http3ErrorOf(() => d.push(hex('01 04'))).code).toBe(H3ErrorCode.H3_EXCESSIVE_LOAD);
  });

  it.each([
    ['inside a frame header', '01'],
    ['inside a payload', '01 04 0102'],
    ['inside a skipped frame', '21 05 00'],
  ])('a stream ending %s is H3_FRAME_ERROR (§7.1)', (_, bytes) => {
    const d = new FrameDecoder((type) => (type === 0x21 ? { action: 'skip' } : { action: 'buffer', max: 10, tooLarge: () => new Http3Error(1, 'stream', 'x') }));
    d.push(hex(bytes));
    expect(http3ErrorOf(() => d.finish()).code).toBe(H3ErrorCode.H3_FRAME_ERROR);
  });

  it('disposes of each frame only when reached, so acting on one event changes how the next is judged', () => {
    const seen: number[] = [];
    const d = new FrameDecoder((type) => (seen.push(type), type === 0 ? { action: 'stream' } : { action: 'buffer', max: 10, tooLarge: () => new Http3Error(1, 'stream', 'x') }));
    d.feed(new Uint8Array([...encodeFrame(1, hex('aa')), ...encodeFrame(0, hex('bb'))]));
    expect(d.next()).toMatchObject({ kind: 'frame', type: 1 });
    expect(seen).toEqual([1]);
    expect(d.next()).toMatchObject({ kind: 'start', type: 0 });
    expect(seen).toEqual([1, 0]);
    expect(() => d.feed(new Uint8Array(1))).toThrow(/before the previous chunk/);
  });
});
