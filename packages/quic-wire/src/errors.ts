/**
 * @module errors
 * RFC 9000 §20.1 transport error codes and `QuicWireError`, the one error
 * every decoder in this package throws for malformed peer input.
 */

/** RFC 9000 §20.1 (and RFC 9368 §4 for VERSION_NEGOTIATION_ERROR); CRYPTO_ERROR is 0x0100 + TLS alert. */
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
  VERSION_NEGOTIATION_ERROR: 0x11,
  CRYPTO_ERROR_BASE: 0x0100,
} as const;
export type TransportErrorCode = (typeof TransportErrorCode)[keyof typeof TransportErrorCode];

const NAMES = new Map<number, string>(Object.entries(TransportErrorCode).map(([k, v]) => [v, k]));

/** The RFC name of a transport error code (`CRYPTO_ERROR(0x128)` for the TLS range). */
export function transportErrorName(code: number): string {
  if (code >= 0x100 && code <= 0x1ff) return `CRYPTO_ERROR(0x${code.toString(16)})`;
  return NAMES.get(code) ?? `0x${code.toString(16)}`;
}

const MARK = Symbol.for('@tsquic/quic-wire/QuicWireError');

/** Malformed input: carries the transport error code the connection closes with, and the frame type when known. */
export class QuicWireError extends Error {
  readonly [MARK] = true;
  override readonly name = 'QuicWireError';
  constructor(
    readonly code: number,
    message: string,
    readonly frameType?: number,
  ) {
    super(`${transportErrorName(code)}: ${message}`);
  }

  /** True for a `QuicWireError` from any copy of this package (a `Symbol.for` mark, so duplicate installs agree). */
  static isInstance(x: unknown): x is QuicWireError {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[MARK] === true;
  }
}
