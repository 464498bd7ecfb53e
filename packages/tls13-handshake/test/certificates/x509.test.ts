/**
 * `binaryString`, the map key of parsed certificates and trust anchors: one
 * char code per byte, the same string for the same bytes at any length
 * (whole, and across its 4,096-byte chunks).
 */
import { describe, expect, it } from 'vitest';
import { binaryString } from '../../src/certificates/x509.js';

describe('binaryString', () => {
  it.each([0, 1, 480, 4096, 4097, 10_000])('maps %i bytes to one char code per byte', (n) => {
    const b = Uint8Array.from({ length: n }, (_, i) => (i * 131 + 7) & 0xff);
    const s = binaryString(b);
    expect(s.length).toBe(n);
    expect(Array.from(s, (c) => c.charCodeAt(0))).toEqual(Array.from(b));
  });

  it('reads only the view it is given', () => {
    const buf = Uint8Array.of(1, 2, 3, 4, 5);
    expect(binaryString(buf.subarray(1, 4))).toBe('\x02\x03\x04');
  });
});
