/**
 * @module session
 * The narrow transport interface rpc-framing runs over: the shape of a
 * WebTransport session and of `@tsquic/quic-transport`'s connection, reduced
 * to what RPC needs. Streams are Web Streams; a stream reset carries an
 * application error code as `reason.code` (bigint), as RFC 9000 §19.4
 * (RESET_STREAM) and §19.5 (STOP_SENDING) carry it on the wire.
 *
 * Reset convention (the one `@tsquic/quic-transport` follows):
 * - `writable.abort(reason)` sends RESET_STREAM with `reason.code`;
 * - `readable.cancel(reason)` sends STOP_SENDING with `reason.code`;
 * - a peer's RESET_STREAM errors the local readable, a peer's STOP_SENDING
 *   errors the local writable, each with an error whose `.code` is the peer's
 *   code (a bigint).
 * Stream errors are recognised by shape (`streamErrorCode()`): this package's
 * `StreamError`, any `…StreamError` with a bigint `code` (quic-transport's
 * `QuicStreamError`), or a WebTransportError with `source: 'stream'`. Any
 * other failure of a stream is taken as the session's end (UNAVAILABLE).
 */

/** One bidirectional stream: WebTransportBidirectionalStream's shape. */
export interface DuplexLike {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
}

/** How a session ended; WebTransportCloseInfo's shape with a bigint code. */
export interface CloseInfo {
  readonly closeCode: bigint;
  readonly reason: string;
}

/**
 * A session (connection) that opens and accepts streams. A WebTransport
 * session, a `@tsquic/quic-transport` connection and the pair from
 * `createMemorySessionPair()` all fit.
 */
export interface RpcSession {
  /** Opens a bidirectional stream; waits while the peer's stream limit is reached. */
  createBidirectionalStream(): Promise<DuplexLike>;
  /** Opens a unidirectional (send-only) stream; waits while the peer's stream limit is reached. */
  createUnidirectionalStream(): Promise<WritableStream<Uint8Array>>;
  /** Streams the peer opened; it closes when the session closes. */
  readonly incomingBidirectionalStreams: ReadableStream<DuplexLike>;
  /** Receive-only streams the peer opened; it closes when the session closes. */
  readonly incomingUnidirectionalStreams: ReadableStream<ReadableStream<Uint8Array>>;
  /** Closes the session (CONNECTION_CLOSE with an application code). */
  close?(info?: { closeCode?: number | bigint; reason?: string }): void;
  /** Settles when the session has ended, for any reason. */
  readonly closed?: Promise<unknown>;
}
