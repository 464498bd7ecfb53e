/** Builders for hand-made encoder-stream, decoder-stream and field-section bytes in the QPACK tests. */
import {
  ByteWriter,
  type DecoderInstructionType,
  encodeDecoderInstruction,
  encodeEncoderInstruction,
  encodeFieldLine,
  encodeFieldSectionPrefix,
  type EncoderInstruction,
  type FieldLineRepresentation,
  maxEntries,
} from '../../src/qpack/index.js';

/** Encoder-stream bytes for these instructions (no Huffman). */
export function encoderStream(...instructions: EncoderInstruction[]): Uint8Array {
  const w = new ByteWriter();
  for (const ins of instructions) encodeEncoderInstruction(w, ins, 'never');
  return w.take();
}

/** Decoder-stream bytes for these instructions. */
export function decoderStream(...instructions: [DecoderInstructionType, number][]): Uint8Array {
  const w = new ByteWriter();
  for (const [type, value] of instructions) encodeDecoderInstruction(w, type, value);
  return w.take();
}

/** A field section with this prefix and these representations, for a decoder whose maximum capacity is `maxTableCapacity`. */
export function fieldSection(requiredInsertCount: number, base: number, lines: FieldLineRepresentation[], maxTableCapacity = 220): Uint8Array {
  const w = new ByteWriter();
  encodeFieldSectionPrefix(w, { requiredInsertCount, base }, maxEntries(maxTableCapacity));
  for (const rep of lines) encodeFieldLine(w, rep, 'never');
  return w.take();
}

export const insert = (name: string, value: string): EncoderInstruction => ({ type: 'insert-literal-name', name, value });
export const capacity = (n: number): EncoderInstruction => ({ type: 'set-capacity', capacity: n });
export const indexed = (table: 'static' | 'dynamic' | 'post-base', index: number): FieldLineRepresentation => ({ kind: 'indexed', table, index });
export const nameRef = (table: 'static' | 'dynamic' | 'post-base', index: number, value: string, neverIndex = false): FieldLineRepresentation => ({ kind: 'name-reference', table, index, value, neverIndex });
export const literal = (name: string, value: string, neverIndex = false): FieldLineRepresentation => ({ kind: 'literal', name, value, neverIndex });
