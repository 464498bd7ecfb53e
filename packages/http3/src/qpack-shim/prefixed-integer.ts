/**
 * @module qpack/prefixed-integer
 * The N-bit prefix integer of RFC 7541 §5.1, used unmodified by QPACK
 * (RFC 9204 §4.1.1) with prefixes of 3 to 8 bits.
 */

/** Result of decoding: the value and the offset after it, or why it failed. */
export type PrefixedIntegerResult = { value: number; next: number } | 'truncated' | 'overflow';

/**
 * Decodes an integer whose first byte is `buf[pos]`, using its low
 * `prefixBits` bits. RFC 9204 §4.1.1 requires decoding up to 62 bits; values
 * above 2^53 - 1 (or encodings longer than needed for 62 bits) are reported as
 * `'overflow'`, which callers treat as "larger than we can decode" (§7.4).
 */
export function decodePrefixedInteger(buf: Uint8Array, pos: number, prefixBits: number): PrefixedIntegerResult {
  if (pos >= buf.length) return 'truncated';
  const max = (1 << prefixBits) - 1;
  let value = buf[pos]! & max;
  pos++;
  if (value < max) return { value, next: pos };
  let multiplier = 1;
  for (let i = 0; ; i++) {
    if (pos >= buf.length) return 'truncated';
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
 * Appends `value` as an N-bit prefix integer; `flags` holds the bits above
 * the prefix in the first byte. Throws RangeError for a caller's bad value.
 */
export function encodePrefixedInteger(out: number[], flags: number, prefixBits: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`cannot encode ${value} as a prefixed integer`);
  if (prefixBits < 1 || prefixBits > 8) throw new RangeError(`prefix of ${prefixBits} bits`);
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out.push(flags | value);
    return;
  }
  out.push(flags | max);
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) | 0x80);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
}
