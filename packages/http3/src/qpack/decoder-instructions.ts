/**
 * @module qpack/decoder-instructions
 * The instructions of the decoder stream (RFC 9204 §4.4): Section
 * Acknowledgment, Stream Cancellation and Insert Count Increment, each a
 * first-byte pattern and one prefixed integer; writing and parsing.
 */
import type { ByteWriter } from './byte-writer.js';
import { encodePrefixedInteger } from './prefixed-integer.js';
import { firstByteDispatch, type Reader } from './reader.js';

export type DecoderInstructionType = 'section-acknowledgment' | 'stream-cancellation' | 'insert-count-increment';

/** `value` is the stream ID (Section Acknowledgment, Stream Cancellation) or the Increment. */
export interface DecoderInstruction {
  readonly type: DecoderInstructionType;
  readonly value: number;
}

interface Row {
  readonly section: string;
  readonly type: DecoderInstructionType;
  readonly pattern: number;
  readonly mask: number;
  readonly prefixBits: number;
  readonly what: string;
}

// prettier-ignore
const ROWS: readonly Row[] = [
  { section: '4.4.1', type: 'section-acknowledgment', pattern: 0b1000_0000, mask: 0b1000_0000, prefixBits: 7, what: 'stream ID' },
  { section: '4.4.2', type: 'stream-cancellation', pattern: 0b0100_0000, mask: 0b1100_0000, prefixBits: 6, what: 'stream ID' },
  { section: '4.4.3', type: 'insert-count-increment', pattern: 0b0000_0000, mask: 0b1100_0000, prefixBits: 6, what: 'Increment' },
];

const DISPATCH = firstByteDispatch(ROWS);
const ROW_OF = new Map(ROWS.map((r) => [r.type, r]));

export function encodeDecoderInstruction(w: ByteWriter, type: DecoderInstructionType, value: number): void {
  const row = ROW_OF.get(type)!;
  encodePrefixedInteger(w, row.pattern, row.prefixBits, value);
}

/** Parses the instruction at `r.pos`; the three rows cover every first byte. */
export function readDecoderInstruction(r: Reader): DecoderInstruction {
  const row = ROWS[DISPATCH[r.peek()]!]!;
  return { type: row.type, value: r.integer(row.prefixBits, `${row.what} (RFC 9204 §${row.section})`) };
}
