/**
 * @module qpack
 * QPACK, field compression for HTTP/3 (RFC 9204): `QpackEncoder` and
 * `QpackDecoder` with static and dynamic tables, encoder and decoder
 * streams, blocked streams, and the building blocks they share (static
 * table, Huffman code, prefixed integers, string literals, instruction and
 * representation codecs). No I/O, no clock, no dependencies.
 */
export { ByteWriter } from './byte-writer.js';
export { type DecodeResult, QpackDecoder, type QpackDecoderOptions, type QpackStats, type UnblockedSection } from './decoder.js';
export { type DecoderInstruction, type DecoderInstructionType, encodeDecoderInstruction, readDecoderInstruction } from './decoder-instructions.js';
export { ENTRY_OVERHEAD, entrySize } from './dynamic-table.js';
export { type IndexingPolicy, QpackEncoder, type QpackEncoderOptions } from './encoder.js';
export { encodeEncoderInstruction, type EncoderInstruction, readEncoderInstruction } from './encoder-instructions.js';
export { FieldSectionTooLargeError, QpackError, QpackErrorCode } from './errors.js';
export { encodeFieldLine, type FieldLine, type FieldLineRepresentation, fieldSectionSize, readFieldLine, type TableRef } from './field-lines.js';
export { decodeRequiredInsertCount, encodeFieldSectionPrefix, encodeRequiredInsertCount, type FieldSectionPrefix, maxEntries, readFieldSectionPrefix } from './field-section-prefix.js';
export { HUFFMAN_CODE_TABLE, HUFFMAN_EOS, huffmanCode, huffmanCodeLength, huffmanDecode, huffmanDecodeInto, huffmanEncode, huffmanEncodedLength, huffmanEncodeInto, type HuffmanFailure } from './huffman.js';
export { decodePrefixedInteger, encodePrefixedInteger, type PrefixedIntegerResult } from './prefixed-integer.js';
export { Reader, Truncated } from './reader.js';
export { STATIC_TABLE, staticIndexOf, staticNameIndexOf } from './static-table.js';
export { encodeStringLiteral, type HuffmanMode, isOctetString, octetsToString, stringToOctets } from './string-literal.js';
