/**
 * @module session
 * The only thing the interop endpoint needs from QUIC: a WebTransport-shaped
 * session (W3C WebTransport; `shared/INTERFACES.md`, "quic-transport ... Web
 * Streams shell"). Streams are Web Streams of `Uint8Array`; FIN is closing the
 * writable / the readable ending; RESET_STREAM is `writable.abort(reason)` and
 * STOP_SENDING is `readable.cancel(reason)`, where `reason.code` (a bigint) is
 * the application error code. A peer's reset errors the matching side with a
 * reason that carries `code` the same way.
 *
 * `@tsquic/quic-transport`'s connections fit this structurally, and so does
 * the in-memory pair in `memory-session.ts` that the tests use.
 */

/** RFC 9000 §19.19 application close: code and reason phrase. */
export interface CloseInfo {
  readonly closeCode: bigint;
  readonly reason: string;
}

/** A bidirectional stream: what we read and what we write. */
export interface BidirectionalStream {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
}

/** A QUIC connection as the application sees it. */
export interface Session {
  /** Opens a bidirectional stream (waits while the peer's MAX_STREAMS is exhausted). */
  createBidirectionalStream(): Promise<BidirectionalStream>;
  /** Opens a unidirectional stream towards the peer. */
  createUnidirectionalStream(): Promise<WritableStream<Uint8Array>>;
  /** Bidirectional streams the peer opened, in order. */
  readonly incomingBidirectionalStreams: ReadableStream<BidirectionalStream>;
  /** Unidirectional streams the peer opened, in order. */
  readonly incomingUnidirectionalStreams: ReadableStream<ReadableStream<Uint8Array>>;
  /** Settles when the connection is gone: resolves for an application close by either side, may reject otherwise. */
  readonly closed: Promise<CloseInfo>;
  /** Closes the connection with an application error code (CONNECTION_CLOSE type 0x1d); idempotent. */
  close(info?: { closeCode?: bigint; reason?: string }): void;
}

const MARK = Symbol.for('@tsquic/example-interop/StreamError');

/** The reason given to `abort`/`cancel` to reset a stream with an application error code. */
export class StreamError extends Error {
  readonly [MARK] = true;
  override readonly name = 'StreamError';
  constructor(
    /** Application protocol error code carried by RESET_STREAM / STOP_SENDING. */
    readonly code: bigint,
    message = `stream reset with code 0x${code.toString(16)}`,
  ) {
    super(message);
  }

  static isInstance(x: unknown): x is StreamError {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[MARK] === true;
  }
}

/** The application error code a stream error carries (`reason.code`, a bigint), if any. */
export function streamErrorCode(reason: unknown): bigint | undefined {
  if (typeof reason !== 'object' || reason === null) return undefined;
  const code = (reason as { code?: unknown }).code;
  return typeof code === 'bigint' ? code : undefined;
}
