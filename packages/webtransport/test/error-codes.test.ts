import { describe, expect, it } from 'vitest';
import { WT_APPLICATION_ERROR_FIRST, WT_APPLICATION_ERROR_LAST, http3CodeToWebTransport, webTransportCodeToHttp3 } from '../src/error-codes.js';

/** The draft's pseudocode (draft-ietf-webtrans-http3 §4.3, Figure 5), in bigint, as the reference. */
const reference = (n: bigint): bigint => WT_APPLICATION_ERROR_FIRST + n + n / 0x1en;
const isReserved = (h: bigint): boolean => h >= 0x21n && (h - 0x21n) % 0x1fn === 0n;

describe('WebTransport application error codes (draft-ietf-webtrans-http3 §4.3)', () => {
  it('maps the ends of the range to the registered bounds', () => {
    expect(webTransportCodeToHttp3(0)).toBe(WT_APPLICATION_ERROR_FIRST);
    expect(webTransportCodeToHttp3(0xffffffff)).toBe(WT_APPLICATION_ERROR_LAST);
    expect(http3CodeToWebTransport(WT_APPLICATION_ERROR_FIRST)).toBe(0);
    expect(http3CodeToWebTransport(WT_APPLICATION_ERROR_LAST)).toBe(0xffffffff);
  });

  it('matches the codes Chromium 156 put on the wire (CHROMIUM.md)', () => {
    expect(webTransportCodeToHttp3(7)).toBe(0x52e4a40fa8e2n);
    expect(webTransportCodeToHttp3(8)).toBe(0x52e4a40fa8e3n);
    expect(webTransportCodeToHttp3(9)).toBe(0x52e4a40fa8e4n);
  });

  it('skips every reserved code point and round-trips around each of them', () => {
    // The first reserved point in the range, and the numbers mapped on either side of it.
    let n = 0;
    for (let checked = 0; checked < 200; n++) {
      const h = webTransportCodeToHttp3(n);
      expect(h).toBe(reference(BigInt(n)));
      expect(isReserved(h)).toBe(false);
      expect(http3CodeToWebTransport(h)).toBe(n);
      if (isReserved(h + 1n)) {
        expect(webTransportCodeToHttp3(n + 1)).toBe(h + 2n);
        expect(http3CodeToWebTransport(h + 1n)).toBeUndefined();
        checked++;
      }
    }
  });

  it('round-trips sampled codes across the whole 32-bit space', () => {
    for (let i = 0; i < 5000; i++) {
      const n = Math.floor((i / 5000) * 0xffffffff) + (i % 7);
      const h = webTransportCodeToHttp3(Math.min(n, 0xffffffff));
      expect(http3CodeToWebTransport(h)).toBe(Math.min(n, 0xffffffff));
    }
  });

  it('gives no application code for HTTP/3 codes outside the range', () => {
    for (const h of [0n, 0x100n, 0x10cn, WT_APPLICATION_ERROR_FIRST - 1n, WT_APPLICATION_ERROR_LAST + 1n, (1n << 62n) - 1n]) {
      expect(http3CodeToWebTransport(h)).toBeUndefined();
    }
  });

  it('refuses codes that are not 32-bit unsigned integers (a caller mistake)', () => {
    for (const n of [-1, 0x100000000, 1.5, Number.NaN]) expect(() => webTransportCodeToHttp3(n)).toThrow(RangeError);
  });
});
