import { H3ErrorCode, Http3Error } from '@tsquic/http3';
import { describe, expect, it } from 'vitest';
import { CapsuleType, decodeCloseSession, encodeCloseSession, MAX_CLOSE_MESSAGE_BYTES } from '../src/capsules.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The H3 code a decode failure carries (H3_MESSAGE_ERROR, draft-ietf-webtrans-http3 §5). */
function failure(value: Uint8Array): number | undefined {
  try {
    decodeCloseSession(value);
  } catch (e) {
    return Http3Error.isInstance(e) && e.scope === 'stream' ? e.code : -1;
  }
  return undefined;
}

describe('CLOSE_WEBTRANSPORT_SESSION (draft-ietf-webtrans-http3 §5)', () => {
  it('uses the code points Chromium 156 uses', () => {
    expect(CapsuleType.CLOSE_WEBTRANSPORT_SESSION).toBe(0x2843n);
    expect(CapsuleType.DRAIN_WEBTRANSPORT_SESSION).toBe(0x78aen);
  });

  it('is a 32-bit code then the UTF-8 message: the bytes Chromium sent for close({ closeCode: 77, reason: "page closes" })', () => {
    // Captured by scripts/chromium-probe.ts (CHROMIUM.md): capsule 0x2843 (15 bytes) 0000004d7061676520636c6f736573
    expect(hex(encodeCloseSession({ closeCode: 77, reason: 'page closes' }))).toBe('0000004d7061676520636c6f736573');
    expect(decodeCloseSession(Buffer.from('0000004d7061676520636c6f736573', 'hex'))).toEqual({ closeCode: 77, reason: 'page closes' });
    expect(decodeCloseSession(Buffer.from('00000000', 'hex'))).toEqual({ closeCode: 0, reason: '' });
  });

  it('round-trips codes across 32 bits and any text', () => {
    for (const [closeCode, reason] of [
      [0, ''],
      [1, 'a'],
      [0xffffffff, 'ünïcødé ✓ 🎉'],
      [4242, 'x'.repeat(1024)],
    ] as const) {
      expect(decodeCloseSession(encodeCloseSession({ closeCode, reason }))).toEqual({ closeCode, reason });
    }
  });

  it('truncates a long message to 1024 bytes at a character boundary (§5)', () => {
    // 341 three-byte characters = 1023 bytes; the 342nd would end at byte 1026.
    const message = '✓'.repeat(400);
    const value = encodeCloseSession({ closeCode: 1, reason: message });
    expect(value.length - 4).toBe(1023);
    expect(decodeCloseSession(value).reason).toBe('✓'.repeat(341));
    const four = encodeCloseSession({ closeCode: 1, reason: '🎉'.repeat(300) });
    expect(four.length - 4).toBe(1024);
  });

  it('refuses a code that is not 32-bit unsigned (a caller mistake)', () => {
    for (const closeCode of [-1, 0x100000000, 1.5]) expect(() => encodeCloseSession({ closeCode, reason: '' })).toThrow(RangeError);
  });

  it('a message above 1024 bytes, invalid UTF-8 or a value shorter than the code is H3_MESSAGE_ERROR on the stream', () => {
    const long = new Uint8Array(4 + MAX_CLOSE_MESSAGE_BYTES + 1).fill(0x61);
    expect(failure(long)).toBe(H3ErrorCode.H3_MESSAGE_ERROR);
    expect(failure(Buffer.from('00000001ff', 'hex'))).toBe(H3ErrorCode.H3_MESSAGE_ERROR);
    expect(failure(Buffer.from('00000001e29c', 'hex'))).toBe(H3ErrorCode.H3_MESSAGE_ERROR); // a character cut short
    for (let n = 0; n < 4; n++) expect(failure(new Uint8Array(n))).toBe(H3ErrorCode.H3_MESSAGE_ERROR);
    expect(failure(new Uint8Array(4 + MAX_CLOSE_MESSAGE_BYTES).fill(0x61))).toBeUndefined();
  });
});
