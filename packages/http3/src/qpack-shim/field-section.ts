/**
 * @module qpack-shim/field-section
 * TEMPORARY (deleted when the QPACK module of branch t17-qpack is merged): the
 * static-only field-section code of examples/interop, behind the agreed API.
 * Encoded field sections (RFC 9204 §4.5) for a QPACK endpoint whose dynamic
 * table capacity is zero in both directions: we advertise
 * SETTINGS_QPACK_MAX_TABLE_CAPACITY = 0 and BLOCKED_STREAMS = 0 and never
 * insert, so every section uses only the static table (§3.1) and literals
 * (§4.1.2, Huffman-coded or not). Any dynamic-table reference from a peer is
 * QPACK_DECOMPRESSION_FAILED (§2.2.3, §4.5.1.1).
 *
 * Field names and values are octet strings; they are carried here as strings
 * with one character per octet (latin1), so any byte survives a round trip.
 */
import { QpackError, QpackErrorCode, QpackFieldSectionTooLarge } from './index.js';
import { huffmanDecode } from './huffman.js';
import { decodePrefixedInteger, encodePrefixedInteger } from './prefixed-integer.js';
import { STATIC_TABLE, staticIndexOf, staticNameIndexOf } from './static-table.js';

/** One field line: name and value, one character per octet. */
export interface FieldLine {
  name: string;
  value: string;
}

/** RFC 9114 §4.2.2: the size of a field line is name + value + 32 octets. */
export const FIELD_LINE_OVERHEAD = 32;

export interface FieldSectionLimits {
  /** Upper bound on the decoded section size (RFC 9114 §4.2.2); over it is a stream error. */
  readonly maxFieldSectionSize: number;
}

function failed(reason: string): QpackError {
  // RFC 9204 §2.2.3, §4.5.1.1, §6: the decoder could not interpret the section.
  return new QpackError(QpackErrorCode.DECOMPRESSION_FAILED, reason);
}

function integer(buf: Uint8Array, pos: number, prefixBits: number, what: string): { value: number; next: number } {
  const r = decodePrefixedInteger(buf, pos, prefixBits);
  if (r === 'truncated') throw failed(`${what} truncated`);
  if (r === 'overflow') throw failed(`${what} too large`);
  return r;
}

/** Octets to a string, one character per octet. */
export function octetsToString(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 4096) {
    s += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return s;
}

/** A string of characters 0..255 to octets; RangeError for anything wider (a caller's mistake). */
export function stringToOctets(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new RangeError(`field text has a character above 0xff at ${i}`);
    out[i] = c;
  }
  return out;
}

/**
 * Decodes an N-bit prefix string literal (RFC 9204 §4.1.2): an H flag, an
 * (N-1)-bit prefix length, then that many octets, Huffman-coded if H is set.
 */
export function decodeStringLiteral(buf: Uint8Array, pos: number, prefixBits: number): { value: string; next: number } {
  if (pos >= buf.length) throw failed('string literal truncated');
  const huffman = (buf[pos]! & (1 << (prefixBits - 1))) !== 0;
  const { value: length, next } = integer(buf, pos, prefixBits - 1, 'string length');
  // Check the length against what is there before touching any memory (RFC 9204 §7.4).
  if (length > buf.length - next) throw failed('string literal longer than the field section');
  const raw = buf.subarray(next, next + length);
  if (!huffman) return { value: octetsToString(raw), next: next + length };
  const decoded = huffmanDecode(raw);
  if (typeof decoded === 'string') throw failed(`Huffman decoding failed (${decoded})`);
  return { value: octetsToString(decoded), next: next + length };
}

function staticEntry(index: number): readonly [string, string] {
  const entry = STATIC_TABLE[index];
  // RFC 9204 §3.1: an invalid static table index MUST be treated as a connection error of type QPACK_DECOMPRESSION_FAILED.
  if (entry === undefined) throw failed(`static table index ${index} out of range`);
  return entry;
}

/** Parses one field line representation at `pos` (RFC 9204 §4.5.2 to §4.5.6). */
function decodeFieldLine(buf: Uint8Array, pos: number): { line: FieldLine; next: number } {
  const first = buf[pos]!;
  if (first & 0x80) {
    // §4.5.2 Indexed Field Line: 1 T Index(6+)
    if ((first & 0x40) === 0) throw failed('indexed field line references the dynamic table');
    const { value: index, next } = integer(buf, pos, 6, 'static index');
    const [name, value] = staticEntry(index);
    return { line: { name, value }, next };
  }
  if (first & 0x40) {
    // §4.5.4 Literal Field Line with Name Reference: 01 N T NameIndex(4+), then an 8-bit prefix value
    if ((first & 0x10) === 0) throw failed('literal field line references a dynamic table name');
    const { value: index, next } = integer(buf, pos, 4, 'static name index');
    const [name] = staticEntry(index);
    const value = decodeStringLiteral(buf, next, 8);
    return { line: { name, value: value.value }, next: value.next };
  }
  if (first & 0x20) {
    // §4.5.6 Literal Field Line with Literal Name: 001 N H NameLen(3+) name, then an 8-bit prefix value
    const name = decodeStringLiteral(buf, pos, 4);
    const value = decodeStringLiteral(buf, name.next, 8);
    return { line: { name: name.value, value: value.value }, next: value.next };
  }
  // §4.5.3 (0001) and §4.5.5 (0000) are post-Base references: dynamic table only.
  throw failed('post-base reference to the dynamic table');
}

/**
 * Decodes an encoded field section (the payload of a HEADERS frame). Throws
 * `H3Error`: QPACK_DECOMPRESSION_FAILED (connection) for anything it cannot
 * interpret, H3_MESSAGE_ERROR (stream) when the decoded size exceeds
 * `limits.maxFieldSectionSize` (RFC 9114 §4.2.2, §10.5.1).
 */
export function decodeFieldSection(buf: Uint8Array, limits: FieldSectionLimits): FieldLine[] {
  // §4.5.1.1: with MaxEntries = 0 the only valid Encoded Required Insert Count is 0.
  const ric = integer(buf, 0, 8, 'Required Insert Count');
  if (ric.value !== 0) throw failed(`Required Insert Count ${ric.value} with a zero-capacity dynamic table`);
  if (ric.next >= buf.length) throw failed('Base truncated');
  const sign = (buf[ric.next]! & 0x80) !== 0;
  const base = integer(buf, ric.next, 7, 'Delta Base');
  // §4.5.1.2: a Sign bit of 1 is invalid when Required Insert Count <= Delta Base, always so here.
  if (sign) throw failed('negative Base');
  const lines: FieldLine[] = [];
  let size = 0;
  let pos = base.next;
  while (pos < buf.length) {
    const { line, next } = decodeFieldLine(buf, pos);
    size += line.name.length + line.value.length + FIELD_LINE_OVERHEAD;
    if (size > limits.maxFieldSectionSize) throw new QpackFieldSectionTooLarge(`field section exceeds ${limits.maxFieldSectionSize} octets`);
    lines.push(line);
    pos = next;
  }
  return lines;
}

function pushStringLiteral(out: number[], flags: number, prefixBits: number, s: string): void {
  const octets = stringToOctets(s);
  encodePrefixedInteger(out, flags, prefixBits - 1, octets.length); // H = 0: no Huffman on encode
  for (let i = 0; i < octets.length; i++) out.push(octets[i]!);
}

/**
 * Encodes a field section with static references where the table has the
 * line or its name, and literals otherwise; Required Insert Count 0, Base 0.
 */
export function encodeFieldSection(fields: readonly FieldLine[]): Uint8Array {
  const out: number[] = [0x00, 0x00];
  for (const { name, value } of fields) {
    const exact = staticIndexOf(name, value);
    if (exact !== undefined) {
      encodePrefixedInteger(out, 0xc0, 6, exact); // 1 T=1 Index(6+)
      continue;
    }
    const nameIndex = staticNameIndexOf(name);
    if (nameIndex !== undefined) {
      encodePrefixedInteger(out, 0x50, 4, nameIndex); // 01 N=0 T=1 NameIndex(4+)
      pushStringLiteral(out, 0x00, 8, value);
    } else {
      pushStringLiteral(out, 0x20, 4, name); // 001 N=0 H=0 NameLen(3+)
      pushStringLiteral(out, 0x00, 8, value);
    }
  }
  return Uint8Array.from(out);
}

/** RFC 9114 §4.2.2: the size the peer's SETTINGS_MAX_FIELD_SECTION_SIZE applies to. */
export function fieldSectionSize(fields: readonly FieldLine[]): number {
  let size = 0;
  for (const { name, value } of fields) size += name.length + value.length + FIELD_LINE_OVERHEAD;
  return size;
}
