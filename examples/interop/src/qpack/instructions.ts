/**
 * @module qpack/instructions
 * The peer's QPACK encoder stream (RFC 9204 §4.3) and decoder stream (§4.4),
 * as seen by an endpoint that advertises a dynamic table capacity of zero and
 * never inserts into the peer's table. Both are push parsers over the
 * stream's bytes, in any fragmentation; a violation throws a connection
 * `H3Error`.
 */
import { connectionError, H3ErrorCode } from '../h3/errors.js';

/**
 * The peer's encoder stream. With our SETTINGS_QPACK_MAX_TABLE_CAPACITY of 0
 * the only valid instruction is Set Dynamic Table Capacity 0, the single
 * byte 0x20.
 */
export class EncoderStreamReceiver {
  /** Feeds the next bytes of the stream. */
  push(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if ((b & 0xe0) === 0x20) {
        // §4.3.1 Set Dynamic Table Capacity, 5-bit prefix: any value above our maximum (0) is an error.
        if (b !== 0x20) throw connectionError(H3ErrorCode.QPACK_ENCODER_STREAM_ERROR, 'dynamic table capacity above 0');
        continue;
      }
      // §3.2.2, §4.3.2-§4.3.4: an insertion cannot fit a zero-capacity table, and there is nothing to duplicate.
      throw connectionError(H3ErrorCode.QPACK_ENCODER_STREAM_ERROR, 'insertion into a zero-capacity dynamic table');
    }
  }
}

/**
 * The peer's decoder stream. We never send a field section with a non-zero
 * Required Insert Count and never insert, so Section Acknowledgment and
 * Insert Count Increment are errors; Stream Cancellation is accepted.
 */
export class DecoderStreamReceiver {
  #continuation = -1; // -1: at an instruction boundary; else continuation bytes seen so far

  /** Feeds the next bytes of the stream. */
  push(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (this.#continuation >= 0) {
        // A 62-bit integer needs at most 9 continuation bytes (RFC 9204 §4.1.1, §7.4).
        if (++this.#continuation > 9) throw connectionError(H3ErrorCode.QPACK_DECODER_STREAM_ERROR, 'stream ID too long');
        if ((b & 0x80) === 0) this.#continuation = -1;
        continue;
      }
      if (b & 0x80) {
        // §4.4.1: every section we sent has Required Insert Count 0, so there is nothing to acknowledge.
        throw connectionError(H3ErrorCode.QPACK_DECODER_STREAM_ERROR, 'Section Acknowledgment without a dynamic section');
      }
      if (b & 0x40) {
        // §4.4.2 Stream Cancellation, 6-bit prefix stream ID: nothing to release; consume it.
        if ((b & 0x3f) === 0x3f) this.#continuation = 0;
        continue;
      }
      // §4.4.3: an Increment of 0, or beyond the 0 insertions we made, is an error.
      throw connectionError(H3ErrorCode.QPACK_DECODER_STREAM_ERROR, 'Insert Count Increment without insertions');
    }
  }
}
