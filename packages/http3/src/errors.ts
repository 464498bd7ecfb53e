/**
 * @module errors
 * HTTP/3 error codes (RFC 9114 §8.1), the QPACK codes (RFC 9204 §6) and
 * H3_DATAGRAM_ERROR (RFC 9297 §5.2) as one table, and `Http3Error`: the one
 * error type this package throws for a peer's bad input or a failed request.
 * `scope` says whether the rule calls for a stream error (reset that stream)
 * or a connection error (close the connection); the conversion into
 * RESET_STREAM / STOP_SENDING / CONNECTION_CLOSE happens in exactly one
 * place, `Http3Connection`. `retryable` marks requests the server never
 * processed (GOAWAY, H3_REQUEST_REJECTED: RFC 9114 §4.1.1, §5.2), which a
 * client may send again on another connection.
 */

/** RFC 9114 §8.1, RFC 9204 §6 and RFC 9297 §5.2, by RFC name. */
export const H3ErrorCode = {
  H3_NO_ERROR: 0x0100,
  H3_GENERAL_PROTOCOL_ERROR: 0x0101,
  H3_INTERNAL_ERROR: 0x0102,
  H3_STREAM_CREATION_ERROR: 0x0103,
  H3_CLOSED_CRITICAL_STREAM: 0x0104,
  H3_FRAME_UNEXPECTED: 0x0105,
  H3_FRAME_ERROR: 0x0106,
  H3_EXCESSIVE_LOAD: 0x0107,
  H3_ID_ERROR: 0x0108,
  H3_SETTINGS_ERROR: 0x0109,
  H3_MISSING_SETTINGS: 0x010a,
  H3_REQUEST_REJECTED: 0x010b,
  H3_REQUEST_CANCELLED: 0x010c,
  H3_REQUEST_INCOMPLETE: 0x010d,
  H3_MESSAGE_ERROR: 0x010e,
  H3_CONNECT_ERROR: 0x010f,
  H3_VERSION_FALLBACK: 0x0110,
  QPACK_DECOMPRESSION_FAILED: 0x0200,
  QPACK_ENCODER_STREAM_ERROR: 0x0201,
  QPACK_DECODER_STREAM_ERROR: 0x0202,
  H3_DATAGRAM_ERROR: 0x33,
} as const;
export type H3ErrorCode = (typeof H3ErrorCode)[keyof typeof H3ErrorCode];

const NAMES = new Map<number, string>(Object.entries(H3ErrorCode).map(([name, code]) => [code, name]));

/**
 * RFC 9114 §6.2.3, §7.2.4.1, §7.2.8, §8.1: code points of the form
 * 0x1f * N + 0x21 are reserved (grease) for stream types, settings, frame
 * types and error codes alike.
 */
export function isReservedCodePoint(value: number | bigint): boolean {
  const v = BigInt(value);
  return v >= 0x21n && (v - 0x21n) % 0x1fn === 0n;
}

/** A reserved code point 0x1f * N + 0x21 for GREASE (RFC 9114 §7.2.4.1, §7.2.8, §6.2.3), N from `random` in [0, 1). */
export function reservedCodePoint(random: number): bigint {
  return 0x1fn * BigInt(Math.floor(random * 0x10000)) + 0x21n;
}

/** The RFC name of a code, `H3_RESERVED(0x..)` for the grease space, or hex. */
export function h3ErrorName(code: number | bigint): string {
  const name = NAMES.get(Number(code));
  if (name !== undefined) return name;
  const hex = `0x${code.toString(16)}`;
  return isReservedCodePoint(code) ? `H3_RESERVED(${hex})` : hex;
}

export type H3ErrorScope = 'connection' | 'stream';

const MARK = Symbol.for('@tsquic/http3/Http3Error');

/** A violation of HTTP/3, QPACK or RFC 9297 (ours or the peer's), or a failed request, with the RFC code. */
export class Http3Error extends Error {
  readonly [MARK] = true;
  override readonly name = 'Http3Error';
  /** Stream error (reset the stream) or connection error (close the connection). */
  readonly scope: H3ErrorScope;
  /** The request was not processed by the server and may be sent again (RFC 9114 §4.1.1, §5.2). */
  readonly retryable: boolean;
  /** True when the peer reported the error (a reset or a close it sent). */
  readonly remote: boolean;
  constructor(
    /** RFC 9114 §8.1 / RFC 9204 §6 / RFC 9297 §5.2 code, or the peer's application code. */
    readonly code: number,
    scope: H3ErrorScope,
    reason: string,
    options: { retryable?: boolean; remote?: boolean; cause?: unknown } = {},
  ) {
    super(`${h3ErrorName(code)}: ${reason}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.scope = scope;
    this.retryable = options.retryable ?? false;
    this.remote = options.remote ?? false;
  }

  /** `instanceof` that survives duplicate installs. */
  static isInstance(x: unknown): x is Http3Error {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[MARK] === true;
  }
}

/** Shorthand for a connection error. */
export function connectionError(code: number, reason: string): Http3Error {
  return new Http3Error(code, 'connection', reason);
}

/** Shorthand for a stream error. */
export function streamError(code: number, reason: string): Http3Error {
  return new Http3Error(code, 'stream', reason);
}

/** RFC 9114 §4.1.2: a malformed message is a stream error of type H3_MESSAGE_ERROR. */
export function malformed(reason: string): Http3Error {
  return streamError(H3ErrorCode.H3_MESSAGE_ERROR, reason);
}
