/**
 * @module stream-error
 * Errors that end one stream or the whole session, each with an application
 * error code as a bigint (RFC 9000 §20.2: application protocol error codes are
 * 62-bit varints, carried by RESET_STREAM §19.4, STOP_SENDING §19.5 and
 * CONNECTION_CLOSE §19.19).
 */

const STREAM_MARK = Symbol.for('@tsquic/rpc-framing/StreamError');
const SESSION_MARK = Symbol.for('@tsquic/rpc-framing/SessionClosedError');

/** 2^62 - 1, the largest varint (RFC 9000 §16). */
const MAX_CODE = (1n << 62n) - 1n;

/**
 * A stream reset, in either direction. Pass one to `writable.abort()` or
 * `readable.cancel()` to reset with `code`; a peer's reset arrives as one.
 */
export class StreamError extends Error {
  readonly [STREAM_MARK] = true;
  override readonly name = 'StreamError';
  readonly code: bigint;

  constructor(code: bigint | number, message?: string) {
    super(message ?? `stream reset with code ${code}`);
    this.code = toCode(code);
  }

  /** `instanceof` that survives duplicate installs of this package. */
  static isInstance(x: unknown): x is StreamError {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[STREAM_MARK] === true;
  }
}

/** The session ended (CONNECTION_CLOSE, either side, or the session was lost). */
export class SessionClosedError extends Error {
  readonly [SESSION_MARK] = true;
  override readonly name = 'SessionClosedError';
  readonly closeCode: bigint;

  constructor(closeCode: bigint | number, reason: string) {
    super(`session closed with code ${closeCode}${reason === '' ? '' : `: ${reason}`}`);
    this.closeCode = toCode(closeCode);
  }

  /** `instanceof` that survives duplicate installs of this package. */
  static isInstance(x: unknown): x is SessionClosedError {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[SESSION_MARK] === true;
  }
}

/** A caller's code as a checked bigint (a caller mistake is a RangeError). */
export function toCode(code: bigint | number): bigint {
  const c = typeof code === 'bigint' ? code : Number.isSafeInteger(code) ? BigInt(code) : -1n;
  if (c < 0n || c > MAX_CODE) throw new RangeError(`application error code out of range: ${code}`);
  return c;
}

/**
 * The application code carried by a reset or close reason: `reason.code`
 * when it is a bigint (or a safe non-negative integer), otherwise `fallback`.
 */
export function codeOf(reason: unknown, fallback: bigint): bigint {
  if (typeof reason !== 'object' || reason === null) return fallback;
  const c = (reason as { code?: unknown }).code;
  if (typeof c === 'bigint' && c >= 0n && c <= MAX_CODE) return c;
  if (typeof c === 'number' && Number.isSafeInteger(c) && c >= 0) return BigInt(c);
  return fallback;
}

/**
 * The application error code of a stream reset (RESET_STREAM, RFC 9000
 * §19.4) or STOP_SENDING (§19.5) a stream failed with, recognised by shape so
 * that any transport fits without a dependency on it:
 * - this package's `StreamError`;
 * - an error named `…StreamError` with a bigint `code` (`@tsquic/quic-transport`'s
 *   `QuicStreamError`);
 * - a W3C `WebTransportError` with `source: 'stream'` (`streamErrorCode`, null → 0).
 * Anything else (a session that closed, a local failure) gives `null`.
 */
export function streamErrorCode(e: unknown): bigint | null {
  if (typeof e !== 'object' || e === null) return null;
  if (StreamError.isInstance(e)) return e.code;
  const x = e as { name?: unknown; code?: unknown; source?: unknown; streamErrorCode?: unknown };
  if (x.source === 'stream') return typeof x.streamErrorCode === 'number' && Number.isSafeInteger(x.streamErrorCode) && x.streamErrorCode >= 0 ? BigInt(x.streamErrorCode) : 0n;
  if (typeof x.code === 'bigint' && typeof x.name === 'string' && x.name.endsWith('StreamError')) return x.code;
  return null;
}
