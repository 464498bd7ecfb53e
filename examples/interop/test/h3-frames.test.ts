import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { H3Error, H3ErrorCode, h3ErrorName, isReservedCodePoint } from '../src/h3/errors.js';
import { classifyFrame } from '../src/h3/frame-reader.js';
import {
  decodeFrameHeader,
  decodeIdPayload,
  decodeSettings,
  encodeFrame,
  encodeFrameHeader,
  encodeIdPayload,
  encodeSettings,
  FrameType,
  isReservedFrameType,
} from '../src/h3/frames.js';
import { VARINT_MAX } from '../src/varint.js';
import { hex, toHex } from './support/hex.js';

function h3Error(f: () => unknown): H3Error {
  try {
    f();
  } catch (e) {
    if (H3Error.isInstance(e)) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('error code table (RFC 9114 §8.1, RFC 9204 §6)', () => {
  it('has the RFC values', () => {
    expect(H3ErrorCode.H3_NO_ERROR).toBe(0x100);
    expect(H3ErrorCode.H3_MISSING_SETTINGS).toBe(0x10a);
    expect(H3ErrorCode.H3_MESSAGE_ERROR).toBe(0x10e);
    expect(H3ErrorCode.H3_VERSION_FALLBACK).toBe(0x110);
    expect(H3ErrorCode.QPACK_DECOMPRESSION_FAILED).toBe(0x200);
    expect(H3ErrorCode.QPACK_DECODER_STREAM_ERROR).toBe(0x202);
    expect(Object.keys(H3ErrorCode)).toHaveLength(20);
  });

  it('names codes, including the reserved 0x1f * N + 0x21 space', () => {
    expect(h3ErrorName(0x106)).toBe('H3_FRAME_ERROR');
    expect(h3ErrorName(0x21)).toBe('H3_RESERVED(0x21)');
    expect(h3ErrorName(0x1f * 1000 + 0x21)).toMatch(/^H3_RESERVED/);
    expect(h3ErrorName(0x22)).toBe('0x22');
    expect(isReservedCodePoint(0x3ffffffffffffffen)).toBe(true);
    expect(isReservedCodePoint(0x20)).toBe(false);
  });
});

describe('frame layout (RFC 9114 §7.1)', () => {
  it('encodes headers with shortest varints', () => {
    expect(toHex(encodeFrameHeader(FrameType.DATA, 5))).toBe('0005');
    expect(toHex(encodeFrameHeader(FrameType.HEADERS, 16384))).toBe('0180004000');
    expect(toHex(encodeFrame(FrameType.DATA, hex('68656c6c6f')))).toBe('000568656c6c6f');
  });

  it('decodes headers, and reports a header cut short as undefined', () => {
    expect(decodeFrameHeader(hex('01 4010'), 0)).toEqual({ type: 1, length: 16, next: 3 });
    expect(decodeFrameHeader(hex('01 40'), 0)).toBeUndefined();
    expect(decodeFrameHeader(hex(''), 0)).toBeUndefined();
  });

  it('round-trips any type and length', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.maxSafeNat(), (type, length) => {
        const bytes = encodeFrameHeader(type, length);
        expect(decodeFrameHeader(bytes, 0)).toEqual({ type, length, next: bytes.length });
      }),
    );
  });

  it('recognises reserved frame types 0x1f * N + 0x21', () => {
    expect([0x21, 0x40, 0x5f].every(isReservedFrameType)).toBe(true);
    expect([0x00, 0x20, 0x41].some(isReservedFrameType)).toBe(false);
  });
});

describe('SETTINGS payload (RFC 9114 §7.2.4)', () => {
  it('round-trips, keeping unknown and reserved identifiers', () => {
    const payload = encodeSettings([
      [0x01, 0],
      [0x06, 65536],
      [0x07, 0],
      [0x21, 7],
      [VARINT_MAX - 1n, VARINT_MAX],
    ]);
    expect(toHex(payload.subarray(0, 9))).toBe('0100068001000007' + '00');
    expect(decodeSettings(payload)).toEqual(
      new Map([
        [1n, 0n],
        [6n, 65536n],
        [7n, 0n],
        [0x21n, 7n],
        [VARINT_MAX - 1n, VARINT_MAX],
      ]),
    );
    expect(decodeSettings(new Uint8Array(0))).toEqual(new Map());
  });

  it.each([
    ['a duplicate identifier', '0600 0601', H3ErrorCode.H3_SETTINGS_ERROR],
    ['HTTP/2 setting 0x00', '0000', H3ErrorCode.H3_SETTINGS_ERROR],
    ['HTTP/2 setting 0x02 (ENABLE_PUSH)', '0201', H3ErrorCode.H3_SETTINGS_ERROR],
    ['HTTP/2 setting 0x05 (MAX_FRAME_SIZE)', '05 4400', H3ErrorCode.H3_SETTINGS_ERROR],
    ['a payload ending after an identifier', '06', H3ErrorCode.H3_FRAME_ERROR],
    ['a payload ending inside a value', '06 80', H3ErrorCode.H3_FRAME_ERROR],
  ])('%s is refused', (_, payload, code) => {
    const e = h3Error(() => decodeSettings(hex(payload)));
    expect(e.code).toBe(code);
    expect(e.scope).toBe('connection');
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
    expect(h3Error(() => decodeIdPayload(hex(payload), 'GOAWAY')).code).toBe(H3ErrorCode.H3_FRAME_ERROR);
  });

  it('random payloads yield an ID or H3_FRAME_ERROR', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), (payload) => {
        try {
          expect(typeof decodeIdPayload(payload, 'MAX_PUSH_ID')).toBe('bigint');
        } catch (e) {
          expect(H3Error.isInstance(e) && e.code === H3ErrorCode.H3_FRAME_ERROR).toBe(true);
        }
      }),
    );
  });

  it('random SETTINGS payloads yield settings or a typed error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (payload) => {
        try {
          expect(decodeSettings(payload)).toBeInstanceOf(Map);
        } catch (e) {
          expect(H3Error.isInstance(e)).toBe(true);
          expect([H3ErrorCode.H3_FRAME_ERROR, H3ErrorCode.H3_SETTINGS_ERROR]).toContain((e as H3Error).code);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('where frames may arrive (RFC 9114 §7.2 Table 1)', () => {
  const unexpected = (type: number, stream: 'control' | 'request', receiver: 'client' | 'server'): number =>
    h3Error(() => classifyFrame(type, stream, receiver)).code;

  it('allows each frame where Table 1 does', () => {
    expect(classifyFrame(FrameType.DATA, 'request', 'server')).toBe('data');
    expect(classifyFrame(FrameType.HEADERS, 'request', 'client')).toBe('headers');
    expect(classifyFrame(FrameType.SETTINGS, 'control', 'client')).toBe('settings');
    expect(classifyFrame(FrameType.GOAWAY, 'control', 'client')).toBe('goaway');
    expect(classifyFrame(FrameType.CANCEL_PUSH, 'control', 'server')).toBe('cancel-push');
    expect(classifyFrame(FrameType.MAX_PUSH_ID, 'control', 'server')).toBe('max-push-id');
    expect(classifyFrame(FrameType.PUSH_PROMISE, 'request', 'client')).toBe('push-promise');
    expect(classifyFrame(0x21, 'control', 'server')).toBe('ignore');
    expect(classifyFrame(0x1f * 77 + 0x21, 'request', 'client')).toBe('ignore');
    expect(classifyFrame(0x0e, 'request', 'server')).toBe('ignore');
  });

  it.each([
    ['DATA on a control stream', FrameType.DATA, 'control', 'server'],
    ['HEADERS on a control stream', FrameType.HEADERS, 'control', 'client'],
    ['SETTINGS on a request stream', FrameType.SETTINGS, 'request', 'server'],
    ['GOAWAY on a request stream', FrameType.GOAWAY, 'request', 'client'],
    ['MAX_PUSH_ID received by a client', FrameType.MAX_PUSH_ID, 'control', 'client'],
    ['PUSH_PROMISE received by a server', FrameType.PUSH_PROMISE, 'request', 'server'],
    ['PUSH_PROMISE on a control stream', FrameType.PUSH_PROMISE, 'control', 'client'],
    ['HTTP/2 PRIORITY (0x02)', 0x02, 'request', 'server'],
    ['HTTP/2 PING (0x06)', 0x06, 'control', 'client'],
    ['HTTP/2 WINDOW_UPDATE (0x08)', 0x08, 'control', 'server'],
    ['HTTP/2 CONTINUATION (0x09)', 0x09, 'request', 'client'],
  ] as const)('%s: H3_FRAME_UNEXPECTED', (_, type, stream, receiver) => {
    expect(unexpected(type, stream, receiver)).toBe(H3ErrorCode.H3_FRAME_UNEXPECTED);
  });
});
