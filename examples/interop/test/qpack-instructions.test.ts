import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { H3Error, H3ErrorCode } from '../src/h3/errors.js';
import { DecoderStreamReceiver, EncoderStreamReceiver } from '../src/qpack/instructions.js';
import { hex } from './support/hex.js';

function codeOf(f: () => void): number | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    if (!H3Error.isInstance(e)) throw e;
    expect(e.scope).toBe('connection');
    return e.code;
  }
}

describe('peer encoder stream with our capacity 0 (RFC 9204 §4.3)', () => {
  it('accepts Set Dynamic Table Capacity 0, any number of times', () => {
    expect(codeOf(() => new EncoderStreamReceiver().push(hex('20 20 20')))).toBeUndefined();
  });

  it.each([
    ['capacity 1', '21'],
    ['capacity 31 + more (5-bit prefix continued)', '3f00'],
    ['Insert with static name reference', 'c0 03 616263'],
    ['Insert with literal name', '43 616263 00'],
    ['Duplicate', '00'],
  ])('%s: QPACK_ENCODER_STREAM_ERROR', (_, bytes) => {
    expect(codeOf(() => new EncoderStreamReceiver().push(hex(bytes)))).toBe(H3ErrorCode.QPACK_ENCODER_STREAM_ERROR);
  });
});

describe('peer decoder stream when we never insert (RFC 9204 §4.4)', () => {
  it('accepts Stream Cancellations, with stream IDs split over chunks', () => {
    const r = new DecoderStreamReceiver();
    expect(codeOf(() => r.push(hex('40 44 7f')))).toBeUndefined(); // streams 0, 4, then 63 + ...
    expect(codeOf(() => r.push(hex('81')))).toBeUndefined(); // ... continuation
    expect(codeOf(() => r.push(hex('01 48')))).toBeUndefined(); // end of the ID, then stream 8
  });

  it.each([
    ['Section Acknowledgment', '80'],
    ['Insert Count Increment of 0', '00'],
    ['Insert Count Increment of 1', '01'],
    ['a stream ID longer than 62 bits', '7f ffffffffffffffffff 01'],
  ])('%s: QPACK_DECODER_STREAM_ERROR', (_, bytes) => {
    expect(codeOf(() => new DecoderStreamReceiver().push(hex(bytes)))).toBe(H3ErrorCode.QPACK_DECODER_STREAM_ERROR);
  });

  it('random input either passes or fails with the stream error, whatever the chunking', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 16 }), { maxLength: 8 }), (chunks) => {
        const whole = new DecoderStreamReceiver();
        const split = new DecoderStreamReceiver();
        const all = Uint8Array.from(chunks.flatMap((c) => [...c]));
        const a = codeOf(() => whole.push(all));
        const b = codeOf(() => chunks.forEach((c) => split.push(c)));
        expect(b).toBe(a);
        for (const code of [a, b]) if (code !== undefined) expect(code).toBe(H3ErrorCode.QPACK_DECODER_STREAM_ERROR);
      }),
    );
  });
});
