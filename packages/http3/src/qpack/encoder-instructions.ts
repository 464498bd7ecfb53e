/**
 * @module qpack/encoder-instructions
 * The instructions of the encoder stream (RFC 9204 §4.3): Set Dynamic Table
 * Capacity, Insert with Name Reference, Insert with Literal Name and
 * Duplicate, as one table of first-byte patterns; writing and parsing.
 */
import type { ByteWriter } from './byte-writer.js';
import { encodePrefixedInteger } from './prefixed-integer.js';
import { firstByteDispatch, type Reader } from './reader.js';
import { encodeStringLiteral, type HuffmanMode } from './string-literal.js';

export type EncoderInstruction =
  | { readonly type: 'set-capacity'; readonly capacity: number }
  | { readonly type: 'insert-name-reference'; readonly table: 'static' | 'dynamic'; readonly index: number; readonly value: string }
  | { readonly type: 'insert-literal-name'; readonly name: string; readonly value: string }
  | { readonly type: 'duplicate'; readonly index: number };

interface Row {
  readonly section: string;
  readonly type: EncoderInstruction['type'];
  readonly table?: 'static' | 'dynamic';
  readonly pattern: number;
  readonly mask: number;
  /** Prefix of the integer, or of the name string literal (H bit included) for Insert with Literal Name. */
  readonly prefixBits: number;
}

// prettier-ignore
const ROWS: readonly Row[] = [
  { section: '4.3.2', type: 'insert-name-reference', table: 'static', pattern: 0b1100_0000, mask: 0b1100_0000, prefixBits: 6 },
  { section: '4.3.2', type: 'insert-name-reference', table: 'dynamic', pattern: 0b1000_0000, mask: 0b1100_0000, prefixBits: 6 },
  { section: '4.3.3', type: 'insert-literal-name', pattern: 0b0100_0000, mask: 0b1100_0000, prefixBits: 6 },
  { section: '4.3.1', type: 'set-capacity', pattern: 0b0010_0000, mask: 0b1110_0000, prefixBits: 5 },
  { section: '4.3.4', type: 'duplicate', pattern: 0b0000_0000, mask: 0b1110_0000, prefixBits: 5 },
];

const DISPATCH = firstByteDispatch(ROWS);
const ROW_OF = new Map(ROWS.map((r) => [`${r.type}/${r.table ?? ''}`, r]));

/** Writes one instruction; names and values are octet strings (checked by the caller). */
export function encodeEncoderInstruction(w: ByteWriter, ins: EncoderInstruction, huffman: HuffmanMode): void {
  const row = ROW_OF.get(`${ins.type}/${ins.type === 'insert-name-reference' ? ins.table : ''}`)!;
  switch (ins.type) {
    case 'set-capacity':
      return encodePrefixedInteger(w, row.pattern, row.prefixBits, ins.capacity);
    case 'duplicate':
      return encodePrefixedInteger(w, row.pattern, row.prefixBits, ins.index);
    case 'insert-name-reference':
      encodePrefixedInteger(w, row.pattern, row.prefixBits, ins.index);
      return encodeStringLiteral(w, 0, 8, ins.value, huffman);
    case 'insert-literal-name':
      encodeStringLiteral(w, row.pattern, row.prefixBits, ins.name, huffman);
      return encodeStringLiteral(w, 0, 8, ins.value, huffman);
  }
}

/**
 * Parses the instruction at `r.pos`. `maxLength(huffman)` bounds each string
 * literal's encoded length before it is awaited (RFC 9204 §7.4): an entry
 * larger than the table capacity is an error anyway (§3.2.2).
 */
export function readEncoderInstruction(r: Reader, maxLength: (huffman: boolean) => number): EncoderInstruction {
  const row = ROWS[DISPATCH[r.peek()]!]!;
  const tooLong = 'the entry cannot fit the dynamic table capacity (RFC 9204 §3.2.2)';
  if (row.type === 'insert-literal-name') {
    const name = r.string(row.prefixBits, 'name', maxLength, tooLong);
    const value = r.string(8, 'value', maxLength, tooLong);
    return { type: row.type, name, value };
  }
  const n = r.integer(row.prefixBits, `${row.type} (RFC 9204 §${row.section})`);
  if (row.type === 'set-capacity') return { type: row.type, capacity: n };
  if (row.type === 'duplicate') return { type: row.type, index: n };
  const value = r.string(8, 'value', maxLength, tooLong);
  return { type: 'insert-name-reference', table: row.table!, index: n, value };
}
