/**
 * @module node/errors
 * Errors of the public API: a stream ended by the peer (RESET_STREAM /
 * STOP_SENDING) carries the application code; a connection ended by an
 * error carries the transport or application code (RFC 9000 §20).
 */
import { transportErrorName } from '@tsquic/quic-wire';
import { alertName } from '@tsquic/tls13-handshake';
import type { CloseInfo } from '../core/index.js';

/**
 * A close code as people read it, on either side (RFC 9000 §20.1; RFC 9001 §4.8: CRYPTO_ERROR is
 * 0x100 + the TLS alert): `CRYPTO_ERROR (0x178): TLS alert 120 no_application_protocol`.
 */
export function describeCloseCode(code: bigint, application: boolean): string {
  if (application) return `application error code ${code}`;
  const c = Number(code);
  if (c >= 0x100 && c <= 0x1ff) return `CRYPTO_ERROR (0x${c.toString(16)}): TLS alert ${c - 0x100} ${alertName(c - 0x100)}`;
  return `${transportErrorName(c)} (0x${c.toString(16)})`;
}

const STREAM = Symbol.for('@tsquic/quic-transport/QuicStreamError');
const CONN = Symbol.for('@tsquic/quic-transport/QuicConnectionError');

/** A stream reset (by either side) or stopped: `code` is the application error code. */
export class QuicStreamError extends Error {
  readonly [STREAM] = true;
  override readonly name = 'QuicStreamError';
  constructor(
    readonly code: bigint,
    message = `stream error ${code}`,
  ) {
    super(message);
  }
  /** Whether `x` is a QuicStreamError, also one from another copy of this package. */
  static isInstance(x: unknown): x is QuicStreamError {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[STREAM] === true;
  }
}

/**
 * Whether `Error.stackTraceLimit` can be set (V8 and JavaScriptCore; not where the realm is frozen), as
 * Node's own internal errors check before setting it.
 */
const stackLimitWritable = ((): boolean => {
  const d = Object.getOwnPropertyDescriptor(Error, 'stackTraceLimit');
  return d !== undefined && d.writable === true && Object.isExtensible(Error);
})();

/**
 * The connection ended abnormally (transport error, idle or handshake timeout, stateless reset). Made
 * without a stack trace: it is always made while the endpoint dispatches an event (a datagram, a timer),
 * so the frames would name the event loop, never the application — and capturing them cost tens of µs
 * at the end of every connection a peer closed with an error code (1.6 % of a handshake's CPU).
 */
export class QuicConnectionError extends Error {
  readonly [CONN] = true;
  override readonly name = 'QuicConnectionError';
  readonly code: bigint;
  constructor(readonly info: CloseInfo) {
    const message = `${info.remote ? 'peer closed' : 'closed'}: ${info.kind === 'close' ? describeCloseCode(info.code, info.application) : info.kind}${info.reason ? ` (${info.reason})` : ''}`;
    // Error(message) cannot throw, so the limit is always restored.
    const limit = stackLimitWritable ? Error.stackTraceLimit : undefined;
    if (limit !== undefined) Error.stackTraceLimit = 0;
    super(message);
    if (limit !== undefined) Error.stackTraceLimit = limit;
    this.code = info.code;
  }
  /** Whether `x` is a QuicConnectionError, also one from another copy of this package. */
  static isInstance(x: unknown): x is QuicConnectionError {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[CONN] === true;
  }
}

/** The code a reason given to abort()/cancel() asks for (a `code` property), else 0. */
export function codeOf(reason: unknown): bigint {
  const c = (reason as { code?: unknown } | undefined)?.code;
  if (typeof c === 'bigint') return c;
  if (typeof c === 'number' && Number.isInteger(c) && c >= 0) return BigInt(c);
  return 0n;
}
