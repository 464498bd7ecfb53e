/**
 * @module session
 * What HTTP/3 needs from QUIC (RFC 9114 §3, §6): a WebTransport-shaped
 * session (W3C WebTransport; DESIGN.md "quic-transport"). Streams are Web
 * Streams of `Uint8Array`; FIN is closing the writable / the readable ending;
 * RESET_STREAM is `writable.abort(reason)` and STOP_SENDING is
 * `readable.cancel(reason)`, where `reason.code` (a bigint) is the
 * application error code; a peer's reset errors the matching side with a
 * reason carrying `code` the same way.
 *
 * `@tsquic/quic-transport`'s `QuicConnection` fits this structurally, and so
 * does any in-memory pair with the same shape.
 */

/** RFC 9000 §19.19 application close: code and reason phrase. */
export interface SessionCloseInfo {
  readonly closeCode?: bigint;
  readonly code?: bigint;
  readonly reason?: string;
}

/** A bidirectional stream: what we read and what we write. */
export interface SessionBidirectionalStream {
  /** The QUIC stream ID when the session knows it (quic-transport does); otherwise derived from the opening order. */
  readonly id?: number | bigint;
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
}

/** What a message reader needs of a stream: a `ReadableStreamDefaultReader`'s `read` and `cancel`. */
export type StreamReader = Pick<ReadableStreamDefaultReader<Uint8Array>, 'read' | 'cancel'>;

/** What a message writer needs of a stream: a `WritableStreamDefaultWriter`'s members, same rules. */
export type StreamWriter = Pick<WritableStreamDefaultWriter<Uint8Array>, 'desiredSize' | 'ready' | 'closed' | 'write' | 'close' | 'abort'>;

/**
 * @internal quic-transport's streams expose their sides as a reader and a
 * writer under this key: reading and writing through them spares making a
 * ReadableStream and a WritableStream per request (most of a small
 * request's cost on Node 20). Any other session goes through its Web Streams.
 */
export const STREAM_IO = Symbol.for('@tsquic/quic-transport/stream-io');

/**
 * @internal quic-transport's connections hand incoming bidirectional streams
 * to a function set under this key (returning true), sparing a Web Streams
 * read per request; any other session goes through `incomingBidirectionalStreams`.
 */
export const ACCEPT_BIDI = Symbol.for('@tsquic/quic-transport/accept-bidi');

/** @internal The direct reader and writer of `s` (a unidirectional stream of ours: the writer only), when its session offers them. */
export function streamIo(s: object): { readonly reader?: StreamReader; readonly writer?: StreamWriter } | undefined {
  return (s as { [STREAM_IO]?: { reader?: StreamReader; writer?: StreamWriter } })[STREAM_IO];
}

/** QUIC DATAGRAM frames (RFC 9221), WebTransport-style. */
export interface SessionDatagrams {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  /** The largest payload the peer accepts; 0 when it did not enable DATAGRAM frames. */
  readonly maxDatagramSize: number;
}

/** A QUIC connection as HTTP/3 sees it. */
export interface Http3Session {
  /** Opens a bidirectional stream (waits while the peer's MAX_STREAMS is exhausted). */
  createBidirectionalStream(): Promise<SessionBidirectionalStream>;
  /** Opens a unidirectional stream towards the peer. */
  createUnidirectionalStream(): Promise<WritableStream<Uint8Array>>;
  /** Bidirectional streams the peer opened, in order. */
  readonly incomingBidirectionalStreams: ReadableStream<SessionBidirectionalStream>;
  /** Unidirectional streams the peer opened, in order. */
  readonly incomingUnidirectionalStreams: ReadableStream<ReadableStream<Uint8Array>>;
  /** Datagrams, when the session has them (RFC 9297 needs them for HTTP datagrams). */
  readonly datagrams?: SessionDatagrams;
  /** Settles when the connection is gone: resolves for a clean close, may reject otherwise. */
  readonly closed: Promise<unknown>;
  /** Closes the connection with an application error code (CONNECTION_CLOSE type 0x1d); idempotent. */
  close(info?: { closeCode?: bigint; reason?: string }): unknown;
}

/**
 * The application error code a transport stream or connection error carries
 * (`reason.code`, a bigint as quic-transport and WebTransport give it), if
 * any. Numeric `code`s (DOMException's legacy codes, our own errors) are not
 * transport codes.
 */
export function errorCodeOf(reason: unknown): bigint | undefined {
  if (typeof reason !== 'object' || reason === null) return undefined;
  const code = (reason as { code?: unknown }).code;
  return typeof code === 'bigint' ? code : undefined;
}

/** The reason given to `abort`/`cancel` to reset or stop a stream with an application error code. */
export function streamReason(code: number | bigint, message: string): Error & { code: bigint } {
  return Object.assign(new Error(message), { code: BigInt(code) });
}
