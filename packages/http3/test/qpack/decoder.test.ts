/**
 * The decoder's limits and error surface: SETTINGS_MAX_FIELD_SECTION_SIZE
 * (RFC 9114 §4.2.2) as a distinct, non-fatal error, memory bounded by the
 * settings (RFC 9204 §7.3), linear-time reassembly of trickled instructions,
 * and the QpackError shape the HTTP/3 layer relies on.
 */
import { describe, expect, it } from 'vitest';
import { FieldSectionTooLargeError, fieldSectionSize, QpackDecoder, QpackEncoder, QpackError, QpackErrorCode } from '../../src/qpack/index.js';
import { capacity, encoderStream, fieldSection, indexed, insert, literal } from './builders.js';
import { Pair } from './pair.js';
import { hex, toHex } from './support.js';

describe('SETTINGS_MAX_FIELD_SECTION_SIZE (RFC 9114 §4.2.2)', () => {
  it('a section whose lines exceed the limit throws FieldSectionTooLargeError, which is not a connection error', () => {
    const fields = Array.from({ length: 40 }, (_, i) => ({ name: `x-f${i}`, value: 'v'.repeat(20) }));
    const section = new QpackEncoder({ maxTableCapacity: 0, maxBlockedStreams: 0 }).encodeFieldSection(0n, fields);
    const d = new QpackDecoder({ maxTableCapacity: 0, maxBlockedStreams: 0, maxFieldSectionSize: fieldSectionSize(fields) - 1 });
    let error: unknown;
    try {
      d.decodeFieldSection(4n, section);
    } catch (e) {
      error = e;
    }
    expect(FieldSectionTooLargeError.isInstance(error)).toBe(true);
    expect(QpackError.isInstance(error)).toBe(false);
    expect((error as FieldSectionTooLargeError).streamId).toBe(4n);
    expect(new QpackDecoder({ maxTableCapacity: 0, maxBlockedStreams: 0, maxFieldSectionSize: fieldSectionSize(fields) }).decodeFieldSection(0n, section)).toEqual({ fields });
    expect(d.decodeFieldSection(8n, hex('0000 d1'))).toEqual({ fields: [{ name: ':method', value: 'GET' }] }); // the decoder goes on
  });

  it('stops early: 100,000 one-octet references to the longest static line are refused after a handful', () => {
    const section = new Uint8Array(2 + 100_000).fill(0xc0 | 85);
    section[0] = section[1] = 0;
    expect(() => new QpackDecoder({ maxTableCapacity: 0, maxBlockedStreams: 0, maxFieldSectionSize: 16384 }).decodeFieldSection(0n, section)).toThrow(FieldSectionTooLargeError);
  });

  it('a blocked section too large for the limit comes out of receiveEncoderStream as { streamId, error }, after the good ones', () => {
    const d = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 2, maxFieldSectionSize: 100 });
    d.receiveEncoderStream(encoderStream(capacity(220)));
    d.decodeFieldSection(0n, fieldSection(1, 0, [indexed('post-base', 0)]));
    d.decodeFieldSection(4n, fieldSection(1, 0, [indexed('post-base', 0), literal('x-long', 'v'.repeat(100))]));
    const out = d.receiveEncoderStream(encoderStream(insert('a', '1')));
    expect(out[0]).toEqual({ streamId: 0n, fields: [{ name: 'a', value: '1' }] });
    expect(out[1]!.streamId).toBe(4n);
    expect('error' in out[1]! && FieldSectionTooLargeError.isInstance(out[1].error)).toBe(true);
    d.cancelStream(4n); // what the HTTP/3 layer does with the refused message
    expect(toHex(d.takeDecoderStreamData())).toBe('8044'); // stream 0's acknowledgment covers the insertion
  });
});

describe('memory bounded by the settings (RFC 9204 §7.3)', () => {
  it('a value trickled one octet at a time is held only up to its announced length, and reassembles in linear time', () => {
    const max = 65536;
    const d = new QpackDecoder({ maxTableCapacity: max, maxBlockedStreams: 0 });
    d.receiveEncoderStream(encoderStream(capacity(max)));
    const big = encoderStream(insert('x-big', 'v'.repeat(max - 32 - 5)));
    const started = performance.now();
    for (let i = 0; i < big.length; i++) {
      d.receiveEncoderStream(big.subarray(i, i + 1));
      if (i % 4096 === 0) expect(d.bufferedEncoderStreamBytes).toBe(i + 1);
    }
    expect(performance.now() - started).toBeLessThan(3000); // quadratic re-parsing would take minutes
    expect(d.table.size).toBe(max);
    expect(d.bufferedEncoderStreamBytes).toBe(0);
  }, 60_000);

  it('blocked sections are bounded by SETTINGS_QPACK_BLOCKED_STREAMS', () => {
    const d = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 3 });
    d.receiveEncoderStream(encoderStream(capacity(220)));
    for (let i = 0; i < 3; i++) d.decodeFieldSection(BigInt(4 * i), fieldSection(1, 0, [indexed('post-base', 0)]));
    expect(() => d.decodeFieldSection(12n, fieldSection(1, 0, [indexed('post-base', 0)]))).toThrow(QpackError);
  });
});

describe('QpackError', () => {
  it('carries the RFC 9204 §6 code, the RFC name and a readable reason', () => {
    const d = new QpackDecoder({ maxTableCapacity: 100, maxBlockedStreams: 0 });
    let error: unknown;
    try {
      d.receiveEncoderStream(hex('3f 46')); // Set Dynamic Table Capacity 101
    } catch (e) {
      error = e;
    }
    expect(QpackError.isInstance(error)).toBe(true);
    const e = error as QpackError;
    expect(e.code).toBe(QpackErrorCode.ENCODER_STREAM_ERROR);
    expect(e.code).toBe(0x201);
    expect(e.name).toBe('QpackError');
    expect(e.message).toBe('QPACK_ENCODER_STREAM_ERROR: Set Dynamic Table Capacity 101 exceeds SETTINGS_QPACK_MAX_TABLE_CAPACITY 100 (RFC 9204 §4.3.1)');
    expect(QpackErrorCode).toEqual({ DECOMPRESSION_FAILED: 0x200, ENCODER_STREAM_ERROR: 0x201, DECODER_STREAM_ERROR: 0x202 });
    expect(QpackError.isInstance(new Error('x'))).toBe(false);
  });

  it('settings as large as an HTTP/3 varint allows (2^62 - 1, an inexact Number) work', () => {
    const huge = Number(2n ** 62n - 1n);
    const pair = new Pair({ maxTableCapacity: huge, maxBlockedStreams: huge, maxFieldSectionSize: huge }, { indexing: 'eager' });
    for (let i = 0; i < 3; i++) pair.exchange(BigInt(4 * i), [{ name: 'x-a', value: '1' }]);
    expect(pair.decoder.stats.dynamicReferences).toBe(3);
    expect(pair.encoder.table.capacity).toBe(4096); // our own limit
  });

  it('settings that are not non-negative integers are a caller mistake (RangeError)', () => {
    expect(() => new QpackDecoder({ maxTableCapacity: -1, maxBlockedStreams: 0 })).toThrow(RangeError);
    expect(() => new QpackEncoder({ maxTableCapacity: 1.5, maxBlockedStreams: 0 })).toThrow(RangeError);
    expect(() => new QpackEncoder({ maxTableCapacity: 100, maxBlockedStreams: Number.NaN })).toThrow(RangeError);
  });
});
