/**
 * @module core/errors
 * Transport errors (RFC 9000 §20.1): a protocol violation found anywhere in
 * the core is thrown as a `TransportError` and converted in exactly one place
 * (the connection) into a CONNECTION_CLOSE of type 0x1c carrying `code`,
 * `frameType` and `reason`. Caller mistakes are TypeError/RangeError instead.
 */

/** RFC 9000 §20.1 transport error codes; CRYPTO_ERROR is 0x0100 + TLS alert (§20.1, RFC 9001 §4.8). */
export const TransportErrorCode = {
  NO_ERROR: 0x00,
  INTERNAL_ERROR: 0x01,
  CONNECTION_REFUSED: 0x02,
  FLOW_CONTROL_ERROR: 0x03,
  STREAM_LIMIT_ERROR: 0x04,
  STREAM_STATE_ERROR: 0x05,
  FINAL_SIZE_ERROR: 0x06,
  FRAME_ENCODING_ERROR: 0x07,
  TRANSPORT_PARAMETER_ERROR: 0x08,
  CONNECTION_ID_LIMIT_ERROR: 0x09,
  PROTOCOL_VIOLATION: 0x0a,
  INVALID_TOKEN: 0x0b,
  APPLICATION_ERROR: 0x0c,
  CRYPTO_BUFFER_EXCEEDED: 0x0d,
  KEY_UPDATE_ERROR: 0x0e,
  AEAD_LIMIT_REACHED: 0x0f,
  NO_VIABLE_PATH: 0x10,
  /** RFC 9368 §4 */
  VERSION_NEGOTIATION_ERROR: 0x11,
  CRYPTO_ERROR_BASE: 0x0100,
} as const;
export type TransportErrorCode = (typeof TransportErrorCode)[keyof typeof TransportErrorCode];

const MARK = Symbol.for('@tsquic/quic-transport/TransportError');

/** A protocol violation by the peer, closing the connection with `code`. */
export class TransportError extends Error {
  readonly [MARK] = true;
  override readonly name = 'TransportError';
  constructor(
    /** RFC 9000 §20.1 code (or 0x0100 + alert). */
    readonly code: number,
    reason: string,
    /** The frame type that triggered it, when known (CONNECTION_CLOSE carries it). */
    readonly frameType?: number,
  ) {
    super(reason);
  }

  /** `instanceof` that survives duplicate installs of this package. */
  static isInstance(x: unknown): x is TransportError {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[MARK] === true;
  }
}
