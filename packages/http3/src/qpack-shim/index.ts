/**
 * @module qpack-shim
 * TEMPORARY (deleted when the QPACK module of branch t17-qpack is merged): the
 * agreed QPACK API (RFC 9204) over the static-only code of examples/interop.
 * The encoder never inserts (so never writes encoder-stream instructions);
 * the decoder accepts a peer's Set Dynamic Table Capacity of 0 only.
 */
import { decodeFieldSection, encodeFieldSection, type FieldLine } from './field-section.js';

export type { FieldLine } from './field-section.js';

export const QpackErrorCode = { DECOMPRESSION_FAILED: 0x200, ENCODER_STREAM_ERROR: 0x201, DECODER_STREAM_ERROR: 0x202 } as const;

export class QpackError extends Error {
  override name = 'QpackError';
  constructor(
    readonly code: number,
    reason: string,
  ) {
    super(reason);
  }
}

/** A decoded section above maxFieldSectionSize (RFC 9114 §4.2.2): the HTTP/3 layer answers it, not a QPACK error. */
export class QpackFieldSectionTooLarge extends Error {
  override name = 'QpackFieldSectionTooLarge';
}

export interface QpackEncoderOptions {
  maxTableCapacity: number;
  maxBlockedStreams: number;
  huffman?: 'auto' | 'never';
}

const EMPTY = new Uint8Array(0);

export class QpackEncoder {
  readonly stats = { inserts: 0, dynamicReferences: 0, blockedSections: 0 };
  constructor(readonly options: QpackEncoderOptions) {}
  encodeFieldSection(_streamId: bigint, fields: readonly FieldLine[]): Uint8Array {
    return encodeFieldSection(fields);
  }
  takeEncoderStreamData(): Uint8Array {
    return EMPTY;
  }
  receiveDecoderStream(bytes: Uint8Array): void {
    // Stream Cancellation (01xxxxxx) is all a peer may send us: we never reference the dynamic table.
    for (const b of bytes) {
      if ((b & 0xc0) !== 0x40 && (b & 0x80) !== 0) throw new QpackError(QpackErrorCode.DECODER_STREAM_ERROR, 'unexpected decoder stream instruction');
    }
  }
}

export interface QpackDecoderOptions {
  maxTableCapacity: number;
  maxBlockedStreams: number;
  maxFieldSectionSize?: number;
}

export type DecodeResult = { fields: FieldLine[] } | { blocked: true };

export class QpackDecoder {
  readonly stats = { inserts: 0, dynamicReferences: 0, blockedSections: 0 };
  constructor(readonly options: QpackDecoderOptions) {}
  decodeFieldSection(_streamId: bigint, section: Uint8Array): DecodeResult {
    return { fields: decodeFieldSection(section, { maxFieldSectionSize: this.options.maxFieldSectionSize ?? Number.MAX_SAFE_INTEGER }) };
  }
  receiveEncoderStream(bytes: Uint8Array): Array<{ streamId: bigint; fields: FieldLine[] }> {
    for (const b of bytes) {
      // §4.3.1: Set Dynamic Table Capacity 0 is the only instruction a zero-capacity table allows.
      if (b !== 0x20) throw new QpackError(QpackErrorCode.ENCODER_STREAM_ERROR, 'insertion into a zero-capacity dynamic table');
    }
    return [];
  }
  cancelStream(_streamId: bigint): void {}
  takeDecoderStreamData(): Uint8Array {
    return EMPTY;
  }
}
