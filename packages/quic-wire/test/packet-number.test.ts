import { describe, expect, it } from 'vitest';
import { decodePacketNumber, packetNumberLength, truncatePacketNumber } from '../src/index.js';

describe('packet numbers (RFC 9000 §17.1, Appendix A.2, A.3)', () => {
  // RFC 9000 §17.1 / A.2: largest acked 0xabe8b3.
  it('A.2: sending 0xac5c02 after 0xabe8b3 was acknowledged needs 16 bits', () => {
    expect(packetNumberLength(0xac5c02, 0xabe8b3)).toBe(2);
  });
  it('A.2: sending 0xace8fe in the same state needs 24 bits', () => {
    expect(packetNumberLength(0xace8fe, 0xabe8b3)).toBe(3);
  });
  it('§17.1: more than twice the unacknowledged range — 127 unacked fit in 8 bits, 128 do not', () => {
    expect(packetNumberLength(0, undefined)).toBe(1);
    expect(packetNumberLength(126, undefined)).toBe(1); // 127 unacked: 254 < 256
    expect(packetNumberLength(127, undefined)).toBe(2); // 128 unacked: 256 is not more than 2 * 128
    expect(packetNumberLength(1000 + 0x7fff, 1000)).toBe(2);
    expect(packetNumberLength(1000 + 0x8000, 1000)).toBe(3);
    expect(() => packetNumberLength(2 ** 40, 0)).toThrow(RangeError);
  });
  // RFC 9000 §17.1 / A.3: largest 0xa82f30ea, 16-bit 0x9b32 → 0xa82f9b32.
  it('A.3: 0x9b32 after 0xa82f30ea decodes to 0xa82f9b32', () => {
    expect(decodePacketNumber(0xa82f30ea, 0x9b32, 16)).toBe(0xa82f9b32);
  });
  it('A.3: wraps forwards and backwards around the expected number', () => {
    expect(decodePacketNumber(0xff, 0x01, 8)).toBe(0x101);
    expect(decodePacketNumber(0x101, 0xff, 8)).toBe(0xff);
    expect(decodePacketNumber(-1, 0, 8)).toBe(0);
  });
  it('encode → truncate → decode recovers the full number inside the window', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 5000; i++) {
      const largestAcked = Math.floor(rnd() * 2 ** 40);
      const pn = largestAcked + 1 + Math.floor(rnd() * 2 ** Math.floor(rnd() * 30));
      const len = packetNumberLength(pn, largestAcked);
      // The receiver has seen at least up to largestAcked and at most pn - 1.
      const largestReceived = largestAcked + Math.floor(rnd() * (pn - largestAcked));
      expect(decodePacketNumber(largestReceived, truncatePacketNumber(pn, len), len * 8)).toBe(pn);
    }
  });
});
