import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { FrameDecoder, FrameError, encodeFrame } from '../src/frame-codec.js';
import { concat, hex, unhex } from './helpers.js';

/** Feeds `wire` to a decoder in the given pieces, collecting frames after each piece. */
function decodeInPieces(wire: Uint8Array, cuts: number[], max = 1 << 20): Uint8Array[] {
  const d = new FrameDecoder(max);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const cut of [...cuts, wire.length]) {
    d.push(wire.subarray(prev, cut));
    prev = cut;
    for (let f = d.next(); f !== null; f = d.next()) out.push(f.slice());
  }
  d.end();
  return out;
}

describe('frame codec', () => {
  test('prefixes the body with its length as a QUIC varint', () => {
    expect(hex(encodeFrame(new Uint8Array(0)))).toBe('00');
    expect(hex(encodeFrame(unhex('0801')))).toBe('020801');
    const big = encodeFrame(new Uint8Array(300));
    expect(hex(big.subarray(0, 2))).toBe('412c');
    expect(big.length).toBe(302);
  });

  test('decodes one frame split at every byte boundary', () => {
    const body = new Uint8Array(200).map((_, i) => i);
    const wire = encodeFrame(body); // 2-byte prefix
    for (let cut = 0; cut <= wire.length; cut++) {
      expect(decodeInPieces(wire, [cut])).toEqual([body]);
    }
  });

  test('decodes a frame delivered one byte at a time', () => {
    const body = new Uint8Array(70).fill(7);
    const wire = encodeFrame(body);
    expect(
      decodeInPieces(
        wire,
        Array.from({ length: wire.length }, (_, i) => i),
      ),
    ).toEqual([body]);
  });

  test('decodes many frames from one chunk, as views', () => {
    const bodies = Array.from({ length: 50 }, (_, i) => new Uint8Array(i).fill(i));
    const wire = concat(bodies.map(encodeFrame));
    const d = new FrameDecoder();
    d.push(wire);
    const got: Uint8Array[] = [];
    for (let f = d.next(); f !== null; f = d.next()) got.push(f);
    expect(got).toEqual(bodies);
    expect(got.every((f) => f.buffer === wire.buffer)).toBe(true);
    expect(d.buffered).toBe(0);
  });

  test('property: any frames, any split points, same frames back', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 30 }), (bodies, rawCuts) => {
        const wire = concat(bodies.map(encodeFrame));
        const cuts = [...new Set(rawCuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
        expect(decodeInPieces(wire, cuts)).toEqual(bodies);
      }),
      { numRuns: 300 },
    );
  });

  test('refuses an oversized frame from its prefix, before the body arrives', () => {
    const d = new FrameDecoder(1000);
    d.push(unhex('43e9')); // 1001
    expect(() => d.next()).toThrow(FrameError);
    try {
      d.next();
    } catch (e) {
      expect(FrameError.isInstance(e) && e.kind).toBe('too-large');
    }
  });

  test('refuses a 62-bit length without allocating', () => {
    const d = new FrameDecoder();
    d.push(unhex('ffffffffffffffff'));
    expect(() => d.next()).toThrow(/exceeds the limit/);
  });

  test('accepts a frame of exactly the limit, and a non-minimal prefix', () => {
    const d = new FrameDecoder(3);
    d.push(unhex('4003 aabbcc'));
    expect(hex(d.next()!)).toBe('aabbcc');
  });

  test.each([
    ['a lone prefix byte of a 2-byte varint', '40'],
    ['a prefix without its body', '05'],
    ['a body cut short', '05aabb'],
  ])('end() reports %s as truncated', (_name, bytes) => {
    const d = new FrameDecoder();
    d.push(unhex(bytes));
    expect(d.next()).toBeNull();
    expect(() => d.end()).toThrow(expect.objectContaining({ kind: 'truncated' }));
  });

  test('end() between frames is clean', () => {
    const d = new FrameDecoder();
    d.push(unhex('00 0101'));
    expect(d.next()!.length).toBe(0);
    expect(hex(d.next()!)).toBe('01');
    expect(() => d.end()).not.toThrow();
  });
});
