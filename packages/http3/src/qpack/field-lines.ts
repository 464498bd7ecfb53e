/**
 * @module qpack/field-lines
 * The field line representations of an encoded field section (RFC 9204
 * §4.5.2 to §4.5.6), as one table: each row's first-byte pattern, where its
 * index or name starts, and its 'N' (never-indexed) bit. Parsing yields a
 * plain representation; resolving indices against the tables is the
 * decoder's work.
 */
import type { ByteWriter } from './byte-writer.js';
import { ENTRY_OVERHEAD } from './dynamic-table.js';
import { encodePrefixedInteger } from './prefixed-integer.js';
import { firstByteDispatch, type Reader } from './reader.js';
import { encodeStringLiteral, type HuffmanMode } from './string-literal.js';

/** A field line: name and value as octet strings (one character per octet); names as on the wire. */
export interface FieldLine {
  name: string;
  value: string;
  /** The 'N' bit (RFC 9204 §4.5.4, §7.1.3): never put this line in a dynamic table, here or on any later hop. */
  neverIndex?: boolean;
}

/** RFC 9114 §4.2.2: the size of a field section is the sum of name + value + 32 over its lines. */
export function fieldSectionSize(fields: readonly FieldLine[]): number {
  let size = 0;
  for (const f of fields) size += f.name.length + f.value.length + ENTRY_OVERHEAD;
  return size;
}

/** Which table an index points into: static (§3.1), dynamic relative to Base (§3.2.5), or post-Base (§3.2.6). */
export type TableRef = 'static' | 'dynamic' | 'post-base';

export type FieldLineRepresentation =
  | { readonly kind: 'indexed'; readonly table: TableRef; readonly index: number }
  | { readonly kind: 'name-reference'; readonly table: TableRef; readonly index: number; readonly value: string; readonly neverIndex: boolean }
  | { readonly kind: 'literal'; readonly name: string; readonly value: string; readonly neverIndex: boolean };

interface Row {
  readonly section: string;
  readonly kind: FieldLineRepresentation['kind'];
  readonly table?: TableRef;
  readonly pattern: number;
  readonly mask: number;
  /** Prefix of the index (indexed, name-reference) or of the name string literal, H bit included (literal). */
  readonly prefixBits: number;
  /** The 'N' bit, 0 where the representation has none. */
  readonly never: number;
  /** What its index is, for an error message (made once, not per field line). */
  what?: string;
}

// prettier-ignore
const ROWS: readonly Row[] = [
  { section: '4.5.2', kind: 'indexed', table: 'static', pattern: 0b1100_0000, mask: 0b1100_0000, prefixBits: 6, never: 0 },
  { section: '4.5.2', kind: 'indexed', table: 'dynamic', pattern: 0b1000_0000, mask: 0b1100_0000, prefixBits: 6, never: 0 },
  { section: '4.5.3', kind: 'indexed', table: 'post-base', pattern: 0b0001_0000, mask: 0b1111_0000, prefixBits: 4, never: 0 },
  { section: '4.5.4', kind: 'name-reference', table: 'static', pattern: 0b0101_0000, mask: 0b1101_0000, prefixBits: 4, never: 0b0010_0000 },
  { section: '4.5.4', kind: 'name-reference', table: 'dynamic', pattern: 0b0100_0000, mask: 0b1101_0000, prefixBits: 4, never: 0b0010_0000 },
  { section: '4.5.5', kind: 'name-reference', table: 'post-base', pattern: 0b0000_0000, mask: 0b1111_0000, prefixBits: 3, never: 0b0000_1000 },
  { section: '4.5.6', kind: 'literal', pattern: 0b0010_0000, mask: 0b1110_0000, prefixBits: 4, never: 0b0001_0000 },
];

const DISPATCH = firstByteDispatch(ROWS);
/** The row of each (kind, table), for writing: `ROW_OF[kind][table]` ('' for a literal). */
const ROW_OF = {} as Record<FieldLineRepresentation['kind'], Record<string, Row>>;
for (const r of ROWS) {
  (ROW_OF[r.kind] ??= {})[r.table ?? ''] = r;
  r.what = `${r.table} index (RFC 9204 §${r.section})`;
}

/** A field section ends where its last representation ends: any string length up to the end is allowed. */
const anyLength = (): number => Number.MAX_SAFE_INTEGER;

/** Parses the representation at `r.pos` (RFC 9204 §4.5.2 to §4.5.6). The 7 rows cover every first byte. */
export function readFieldLine(r: Reader): FieldLineRepresentation {
  const first = r.peek();
  const row = ROWS[DISPATCH[first]!]!;
  const neverIndex = (first & row.never) !== 0;
  if (row.kind === 'literal') {
    const name = r.string(row.prefixBits, 'literal name', anyLength, '');
    const value = r.string(8, 'value', anyLength, '');
    return { kind: 'literal', name, value, neverIndex };
  }
  const index = r.integer(row.prefixBits, row.what!);
  if (row.kind === 'indexed') return { kind: 'indexed', table: row.table!, index };
  const value = r.string(8, 'value', anyLength, '');
  return { kind: 'name-reference', table: row.table!, index, value, neverIndex };
}

/** Writes one representation; names and values are octet strings (checked by the caller). */
export function encodeFieldLine(w: ByteWriter, rep: FieldLineRepresentation, huffman: HuffmanMode): void {
  const row = ROW_OF[rep.kind][rep.kind === 'literal' ? '' : rep.table]!;
  if (rep.kind === 'indexed') {
    encodePrefixedInteger(w, row.pattern, row.prefixBits, rep.index);
    return;
  }
  const flags = row.pattern | (rep.neverIndex ? row.never : 0);
  if (rep.kind === 'literal') encodeStringLiteral(w, flags, row.prefixBits, rep.name, huffman);
  else encodePrefixedInteger(w, flags, row.prefixBits, rep.index);
  encodeStringLiteral(w, 0, 8, rep.value, huffman);
}
