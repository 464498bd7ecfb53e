/**
 * @module qpack/prefixed-integer
 * The N-bit prefix integer of RFC 7541 §5.1, used unmodified by QPACK
 * (RFC 9204 §4.1.1) with prefixes of 3 to 8 bits.
 */
import type { ByteWriter } from './byte-writer.js';

/** Result of decoding: the value and the offset after it, or why it failed. */
export type PrefixedIntegerResult = { value: number; next: number } | 'truncated' | 'overflow';

/**
 * Decodes an integer whose first byte is `buf[pos]`, using its low
 * `prefixBits` bits, reading no further than `end`. RFC 9204 §4.1.1 asks for
 * 62 bits; values above 2^53 - 1, or encodings longer than 62 bits need, are
 * `'overflow'`: "larger than we are able to decode" (§7.4), an error.
 */
export function decodePrefixedInteger(buf: Uint8Array, pos: number, prefixBits: number, end = buf.length): PrefixedIntegerResult {
  if (pos >= end) return 'truncated';
  const max = (1 << prefixBits) - 1;
  let value = buf[pos]! & max;
  pos++;
  if (value < max) return { value, next: pos };
  let multiplier = 1;
  for (let i = 0; ; i++) {
    if (pos >= end) return 'truncated';
    // 62 bits need at most 9 continuation bytes; anything longer is refused (RFC 9204 §7.4).
    if (i >= 9) return 'overflow';
    const b = buf[pos++]!;
    value += (b & 0x7f) * multiplier;
    if (value > Number.MAX_SAFE_INTEGER) return 'overflow';
    if ((b & 0x80) === 0) return { value, next: pos };
    multiplier *= 128;
  }
}

/**
 * Writes `value` as an N-bit prefix integer; `flags` holds the bits above the
 * prefix in the first byte. A value that is not a safe non-negative integer
 * is a caller's mistake (RangeError).
 */
export function encodePrefixedInteger(w: ByteWriter, flags: number, prefixBits: number, value: number): void {
  const max = (1 << prefixBits) - 1;
  if (value >= 0 && value < max && (value | 0) === value) {
    w.byte(flags | value);
    return;
  }
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`cannot encode ${value} as a prefixed integer`);
  w.byte(flags | max);
  let rest = value - max;
  while (rest >= 128) {
    w.byte((rest % 128) | 0x80);
    rest = Math.floor(rest / 128);
  }
  w.byte(rest);
}
