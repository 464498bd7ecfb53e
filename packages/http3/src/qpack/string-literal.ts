/**
 * @module qpack/string-literal
 * N-bit prefix string literals (RFC 9204 §4.1.2, RFC 7541 §5.2): an H flag,
 * an (N-1)-bit prefix length, then that many octets, Huffman-coded when H is
 * set. Field names and values are octet strings; here they are JavaScript
 * strings with one character per octet (latin1, as the Fetch standard's
 * ByteString), so any octet survives a round trip.
 */
import type { ByteWriter } from './byte-writer.js';
import { huffmanEncodedLength, huffmanEncodeInto } from './huffman.js';
import { encodePrefixedInteger } from './prefixed-integer.js';

/** Whether the encoder may Huffman-code a literal: when it is shorter ('auto'), or never. */
export type HuffmanMode = 'auto' | 'never';

const ascii = new TextDecoder();

/** Octets to a string, one character per octet. */
export function octetsToString(bytes: Uint8Array): string {
  // ASCII decodes the same as UTF-8, and TextDecoder is the fastest way there (twice String.fromCharCode's speed)
  let i = 0;
  while (i < bytes.length && bytes[i]! < 0x80) i++;
  if (i === bytes.length) return ascii.decode(bytes);
  if (bytes.length <= 4096) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  let s = '';
  for (let i = 0; i < bytes.length; i += 4096) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096) as unknown as number[]);
  return s;
}

const WIDE = /[^\x00-\xff]/;

/** Whether every character of `s` is an octet (0..255). */
export function isOctetString(s: string): boolean {
  return !WIDE.test(s);
}

/** A string of characters 0..255 to octets; RangeError for anything wider (a caller's mistake). */
export function stringToOctets(s: string): Uint8Array {
  if (!isOctetString(s)) throw new RangeError(`field text has a character above 0xff: ${JSON.stringify(s.slice(0, 40))}`);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/**
 * Writes `s` as an N-bit prefix string literal (`prefixBits` = N, 2..8);
 * `flags` holds the bits above the H flag. With 'auto' the literal is
 * Huffman-coded when that is strictly shorter. The caller has checked that
 * `s` is an octet string.
 */
export function encodeStringLiteral(w: ByteWriter, flags: number, prefixBits: number, s: string, huffman: HuffmanMode): void {
  const lengthBits = prefixBits - 1;
  if (huffman === 'auto' && s.length > 0) {
    const coded = huffmanEncodedLength(s);
    if (coded < s.length) {
      encodePrefixedInteger(w, flags | (1 << lengthBits), lengthBits, coded);
      w.reserve(coded);
      w.length = huffmanEncodeInto(s, w.buffer, w.length);
      return;
    }
  }
  encodePrefixedInteger(w, flags, lengthBits, s.length);
  w.latin1(s);
}
