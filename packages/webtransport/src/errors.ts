/**
 * @module errors
 * `WebTransportError`, shaped like the W3C WebTransport interface's
 * (`source` 'stream' or 'session', `streamErrorCode`), so code written for
 * the browser handles ours the same way; and the reason objects that carry an
 * HTTP/3 code to `abort()`/`cancel()` of the underlying QUIC streams.
 */

const MARK = Symbol.for('@tsquic/webtransport/WebTransportError');

export type WebTransportErrorSource = 'stream' | 'session';

export interface WebTransportErrorOptions {
  readonly source?: WebTransportErrorSource;
  /** A WebTransport application error code, 0..0xffffffff (stream errors only). */
  readonly streamErrorCode?: number | null;
  readonly cause?: unknown;
}

/** W3C WebTransport's `WebTransportError`: why a session or a stream ended. */
export class WebTransportError extends Error {
  readonly [MARK] = true;
  override readonly name = 'WebTransportError';
  readonly source: WebTransportErrorSource;
  readonly streamErrorCode: number | null;

  constructor(message = '', options: WebTransportErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.source = options.source ?? 'stream';
    const code = options.streamErrorCode ?? null;
    if (code !== null && (!Number.isInteger(code) || code < 0 || code > 0xffffffff)) throw new RangeError(`streamErrorCode must be a 32-bit unsigned integer, got ${code}`);
    this.streamErrorCode = code;
  }

  /** True for a WebTransportError of any copy of this package (and by shape for the browser's). */
  static isInstance(x: unknown): x is WebTransportError {
    return typeof x === 'object' && x !== null && ((x as Record<symbol, unknown>)[MARK] === true || (x as { name?: unknown }).name === 'WebTransportError');
  }
}

/** A session-level failure (the session could not be established, or was lost). */
export function sessionError(message: string, cause?: unknown): WebTransportError {
  return new WebTransportError(message, { source: 'session', ...(cause === undefined ? {} : { cause }) });
}

/** The reason `abort()`/`cancel()` of a QUIC stream takes to send `code` (quic-transport and @tsquic/http3 read `reason.code`). */
export function codeReason(code: bigint, message: string): Error & { code: bigint } {
  return Object.assign(new Error(message), { code });
}

/** The HTTP/3 error code a transport error carries (`reason.code`, a bigint), if any. */
export function http3CodeOf(reason: unknown): bigint | undefined {
  if (typeof reason !== 'object' || reason === null) return undefined;
  const code = (reason as { code?: unknown }).code;
  return typeof code === 'bigint' ? code : undefined;
}
