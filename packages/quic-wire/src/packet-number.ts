/**
 * @module packet-number
 * Packet number encoding and decoding (RFC 9000 §17.1, Appendix A.2 and A.3).
 */

/**
 * Bytes (1..4) needed to send `pn` so that the peer, which has acknowledged
 * up to `largestAcked` (undefined: nothing yet), can recover it. RFC 9000
 * §17.1 requires a range *more than* twice the number of unacknowledged
 * packets, so 2 * n < 2^bits; the Appendix A.2 pseudocode (log2(n) + 1 bits)
 * allows exactly twice when n is a power of two, and the normative text wins.
 */
export function packetNumberLength(pn: number, largestAcked: number | undefined): 1 | 2 | 3 | 4 {
  const numUnacked = largestAcked === undefined ? pn + 1 : pn - largestAcked;
  const minBits = Math.floor(Math.log2(numUnacked)) + 2;
  const bytes = Math.ceil(minBits / 8);
  if (bytes > 4) throw new RangeError(`packet number ${pn} is too far ahead of the largest acknowledged ${largestAcked}`);
  return Math.max(1, bytes) as 1 | 2 | 3 | 4;
}

/** The low `length` bytes of `pn`, as written on the wire. */
export function truncatePacketNumber(pn: number, length: 1 | 2 | 3 | 4): number {
  return length === 4 ? pn % 0x100000000 : pn % (1 << (8 * length));
}

/**
 * RFC 9000 Appendix A.3: the full packet number closest to `largest + 1`
 * whose low `pnBits` bits are `truncated`.
 */
export function decodePacketNumber(largest: number, truncated: number, pnBits: number): number {
  const expected = largest + 1;
  const win = 2 ** pnBits;
  const hwin = win / 2;
  // candidate = (expected & ~mask) | truncated, in float-safe arithmetic (pns reach 2^62).
  const candidate = expected - (expected % win) + truncated;
  if (candidate <= expected - hwin && candidate < 2 ** 62 - win) return candidate + win;
  if (candidate > expected + hwin && candidate >= win) return candidate - win;
  return candidate;
}
